/** Objective: returns the value at `point` and writes the gradient into `gradient`. @internal */
export type Objective = (point: Float64Array, gradient: Float64Array) => number;

const dot = (a: Float64Array, b: Float64Array): number => {
  let sum = 0;
  for (let index = 0; index < a.length; index += 1) sum += (a[index] as number) * (b[index] as number);
  return sum;
};

/**
 * Minimises a smooth convex objective with limited-memory BFGS and a backtracking (Armijo) line search.
 * Stops when the gradient's max-norm falls below `tolerance` or after `maxIterations`.
 * @internal
 */
export function minimizeLbfgs(objective: Objective, start: Float64Array, options: { maxIterations: number; tolerance: number; memory?: number }): { point: Float64Array; value: number; iterations: number } {
  const size = start.length;
  const memory = options.memory ?? 10;
  let point = Float64Array.from(start);
  let gradient = new Float64Array(size);
  let value = objective(point, gradient);
  const steps: Float64Array[] = [];
  const changes: Float64Array[] = [];
  const direction = new Float64Array(size);
  const alphas = new Float64Array(memory);
  let iteration = 0;
  for (; iteration < options.maxIterations; iteration += 1) {
    if (gradient.reduce((max, entry) => Math.max(max, Math.abs(entry)), 0) < options.tolerance) break;
    direction.set(gradient);
    for (let k = steps.length - 1; k >= 0; k -= 1) {
      const rho = 1 / dot(changes[k] as Float64Array, steps[k] as Float64Array);
      alphas[k] = rho * dot(steps[k] as Float64Array, direction);
      for (let i = 0; i < size; i += 1) direction[i] = (direction[i] as number) - (alphas[k] as number) * ((changes[k] as Float64Array)[i] as number);
    }
    const last = steps.length - 1;
    const gamma = last >= 0 ? dot(steps[last] as Float64Array, changes[last] as Float64Array) / dot(changes[last] as Float64Array, changes[last] as Float64Array) : 1 / Math.max(1, Math.sqrt(dot(gradient, gradient)));
    for (let i = 0; i < size; i += 1) direction[i] = (direction[i] as number) * gamma;
    for (let k = 0; k < steps.length; k += 1) {
      const rho = 1 / dot(changes[k] as Float64Array, steps[k] as Float64Array);
      const beta = rho * dot(changes[k] as Float64Array, direction);
      for (let i = 0; i < size; i += 1) direction[i] = (direction[i] as number) + ((steps[k] as Float64Array)[i] as number) * ((alphas[k] as number) - beta);
    }
    // direction now approximates H·g; move along -direction.
    const slope = -dot(gradient, direction);
    if (!(slope < 0)) {
      steps.length = 0;
      changes.length = 0;
      continue;
    }
    let stepSize = 1;
    const candidate = new Float64Array(size);
    const candidateGradient = new Float64Array(size);
    let candidateValue = Number.POSITIVE_INFINITY;
    for (let trial = 0; trial < 40; trial += 1) {
      for (let i = 0; i < size; i += 1) candidate[i] = (point[i] as number) - stepSize * (direction[i] as number);
      candidateValue = objective(candidate, candidateGradient);
      if (candidateValue <= value + 1e-4 * stepSize * slope) break;
      stepSize *= 0.5;
    }
    if (!(candidateValue < value) && !(candidateValue <= value)) break;
    const step = new Float64Array(size);
    const change = new Float64Array(size);
    for (let i = 0; i < size; i += 1) {
      step[i] = (candidate[i] as number) - (point[i] as number);
      change[i] = (candidateGradient[i] as number) - (gradient[i] as number);
    }
    const improvement = value - candidateValue;
    point = candidate;
    gradient = candidateGradient;
    value = candidateValue;
    if (dot(step, change) > 1e-12) {
      steps.push(step);
      changes.push(change);
      if (steps.length > memory) {
        steps.shift();
        changes.shift();
      }
    }
    if (improvement >= 0 && improvement < 1e-12 * Math.max(1, Math.abs(value))) break;
  }
  return { point, value, iterations: iteration };
}
