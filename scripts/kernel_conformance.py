"""Jupyter's own kernel conformance suite (jupyter_kernel_test) against this project's kernel.

Run by test/kernel/conformance.test.ts (and so by `npm test`, when the Python module is
installed: Debian `python3-jupyter-kernel-test` or `pip install jupyter_kernel_test`). The kernel
name comes from $DEEPAGREL_KERNEL (the test registers a temporary kernelspec of this checkout).

Not applicable to a TypeScript kernel, so left empty (the suite skips them): the pager
(code_page_something: IPython's `?`), clear_output (tslab has no API for it) and invalid-code
samples for is_complete (tslab answers "complete" or "incomplete" only).
"""
import os
import unittest

import jupyter_kernel_test


class DeepAgrelKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get('DEEPAGREL_KERNEL', 'deepagrel')
    language_name = 'typescript'
    file_extension = '.ts'

    code_hello_world = "console.log('hello, world');"
    code_stderr = "console.error('oops');"
    code_generate_error = "throw new Error('deliberate');"
    code_execute_result = [
        {'code': '6 * 7', 'result': '42'},
        {'code': "'Deep' + 'AGREL'", 'result': "'DeepAGREL'"},
        {'code': '[1, 2, 3].map((x) => x * 2)', 'result': '[ 2, 4, 6 ]'},
    ]
    code_display_data = [
        {'code': "import { display } from 'tslab';\ndisplay.html('<b>bold</b>');", 'mime': 'text/html'},
        {'code': "import { display } from 'tslab';\ndisplay.markdown('**bold**');", 'mime': 'text/markdown'},
    ]
    completion_samples = [
        {'text': 'Math.ma', 'matches': {'max'}},
    ]
    complete_code_samples = ['1 + 1', 'const x = 1;', 'function f() { return 1; }']
    incomplete_code_samples = ['function f() {', 'const a = [1, 2,']
    code_inspect_sample = 'Math.max'
    supported_history_operations = ('tail', 'range', 'search')
    code_history_pattern = '6*7'


if __name__ == '__main__':
    unittest.main(verbosity=2)
