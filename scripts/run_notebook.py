"""Execute one notebook headless with nbclient (used by scripts/run-notebooks.ts).

Writes the executed copy to --out (never over the source notebook). The kernel runs in the
notebook's own folder, so relative imports such as './src/index.ts' resolve as in Jupyter.
On failure prints the failing cell's position, the head of its source and its stderr/error
output, and exits 1. Exit 3: the kernel is not registered.
"""
import argparse
import os
import re
import sys

import nbformat
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')
SOURCE_HEAD_LINES = 12
OUTPUT_TAIL_LINES = 40


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('notebook')
    ap.add_argument('--out', required=True)
    ap.add_argument('--kernel', required=True)
    ap.add_argument('--timeout', type=int, default=900, help='seconds per cell')
    args = ap.parse_args()

    try:
        KernelSpecManager().get_kernel_spec(args.kernel)
    except NoSuchKernel:
        print(f'Jupyter kernel "{args.kernel}" is not registered: run `npm run kernel` first.', file=sys.stderr)
        return 3

    nb = nbformat.read(args.notebook, as_version=4)
    current = {}

    def on_cell_start(cell, cell_index):
        current['cell'], current['index'] = cell, cell_index

    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        startup_timeout=120,
        resources={'metadata': {'path': os.path.dirname(os.path.abspath(args.notebook))}},
        on_cell_start=on_cell_start,
    )
    try:
        client.execute()
        return 0
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        report(nb, current, err)
        return 1
    finally:
        nbformat.write(nb, args.out)


def report(nb, current, err):
    cell, index = current.get('cell'), current.get('index')
    if cell is None:
        print(f'FAILED before the first cell: {type(err).__name__}: {err}', file=sys.stderr)
        return
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == 'code']
    position = code_cells.index(index) + 1 if index in code_cells else '?'
    lines = cell.source.splitlines()
    print(f'FAILED at cell {index} (code cell {position} of {len(code_cells)}):', file=sys.stderr)
    for line in lines[:SOURCE_HEAD_LINES]:
        print(f'  | {line}', file=sys.stderr)
    if len(lines) > SOURCE_HEAD_LINES:
        print(f'  | ... ({len(lines) - SOURCE_HEAD_LINES} more lines)', file=sys.stderr)
    # tslab reports compile and run-time errors on stderr; other kernels send "error" outputs.
    text = []
    for out in cell.get('outputs', []):
        if out.get('output_type') == 'stream' and out.get('name') == 'stderr':
            text.append(out.get('text', ''))
        elif out.get('output_type') == 'error':
            text.append('\n'.join(out.get('traceback') or [f"{out.get('ename')}: {out.get('evalue')}"]))
    if not text or not isinstance(err, CellExecutionError):
        text.append(f'{type(err).__name__}: {err}')
    tail = ANSI.sub('', '\n'.join(text)).rstrip().splitlines()[-OUTPUT_TAIL_LINES:]
    print('  error output:', file=sys.stderr)
    for line in tail:
        print(f'  ! {line}', file=sys.stderr)


if __name__ == '__main__':
    sys.exit(main())
