// Types for the two functions of npm deasync (it ships none) that backend/webgpu.ts uses.
declare module 'deasync' {
  const deasync: { runLoopOnce(): void; loopWhile(pred: () => boolean): void };
  export default deasync;
}
