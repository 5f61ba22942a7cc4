/** One regression tree in flat arrays; node 0 is the root, `feature[i] === -1` marks a leaf. */
export interface RegressionTree {
  /** The class (index in SELL, HOLD, BUY) whose score the tree adds to. */
  readonly classIndex: number;
  /** The feature index each node splits on; `-1` for a leaf. */
  readonly feature: readonly number[];
  /** float32 split thresholds: `x <= threshold` goes to `left`. */
  readonly threshold: readonly number[];
  /** Index of the node taken when `x <= threshold`; unused on a leaf. */
  readonly left: readonly number[];
  /** Index of the node taken when `x > threshold`; unused on a leaf. */
  readonly right: readonly number[];
  /** float32 leaf values (0 on branches). */
  readonly value: readonly number[];
}

/** Feature values cut into bins: `bins[row * columns + f]`, and the cut thresholds per feature. @internal */
export interface BinnedFeatures {
  readonly columns: number;
  readonly bins: Uint8Array;
  /** `cuts[f][b]`: bin ≤ b ⇔ x ≤ cuts[f][b] (float32 data values). */
  readonly cuts: readonly Float32Array[];
}

/** Tree-growing settings. @internal */
export interface GrowthSettings {
  readonly maxDepth: number;
  readonly minLeafRows: number;
  readonly minChildHessian: number;
  readonly l2: number;
  readonly learningRate: number;
}

/**
 * Cuts each feature into at most `maxBins` quantile bins of the given rows.
 * @internal
 */
export function binFeatures(values: Float32Array, columns: number, rows: Int32Array, maxBins: number): BinnedFeatures {
  const cuts: Float32Array[] = [];
  const bins = new Uint8Array(rows.length * columns);
  const column = new Float32Array(rows.length);
  for (let f = 0; f < columns; f += 1) {
    rows.forEach((row, index) => {
      column[index] = values[row * columns + f] as number;
    });
    const sorted = Float32Array.from(column).sort();
    const chosen: number[] = [];
    const maximum = sorted[sorted.length - 1] as number;
    for (let q = 1; q < maxBins; q += 1) {
      const candidate = sorted[Math.floor((q * sorted.length) / maxBins)] as number;
      if (candidate < maximum && (chosen.length === 0 || candidate > (chosen[chosen.length - 1] as number))) chosen.push(candidate);
    }
    const featureCuts = Float32Array.from(chosen);
    cuts.push(featureCuts);
    column.forEach((value, index) => {
      let low = 0;
      let high = featureCuts.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (value > (featureCuts[middle] as number)) low = middle + 1;
        else high = middle;
      }
      bins[index * columns + f] = low;
    });
  }
  return { columns, bins, cuts };
}

interface Split {
  readonly feature: number;
  readonly bin: number;
  readonly gain: number;
}

function bestSplit(binned: BinnedFeatures, members: Int32Array, gradient: Float64Array, hessian: Float64Array, settings: GrowthSettings): Split | undefined {
  const { columns, bins, cuts } = binned;
  let totalGradient = 0;
  let totalHessian = 0;
  for (const member of members) {
    totalGradient += gradient[member] as number;
    totalHessian += hessian[member] as number;
  }
  const parentScore = (totalGradient * totalGradient) / (totalHessian + settings.l2);
  let best: Split | undefined;
  const histogramGradient = new Float64Array(256);
  const histogramHessian = new Float64Array(256);
  const histogramCount = new Int32Array(256);
  for (let f = 0; f < columns; f += 1) {
    const cutCount = (cuts[f] as Float32Array).length;
    if (cutCount === 0) continue;
    histogramGradient.fill(0, 0, cutCount + 1);
    histogramHessian.fill(0, 0, cutCount + 1);
    histogramCount.fill(0, 0, cutCount + 1);
    for (const member of members) {
      const bin = bins[member * columns + f] as number;
      histogramGradient[bin] = (histogramGradient[bin] as number) + (gradient[member] as number);
      histogramHessian[bin] = (histogramHessian[bin] as number) + (hessian[member] as number);
      histogramCount[bin] = (histogramCount[bin] as number) + 1;
    }
    let leftGradient = 0;
    let leftHessian = 0;
    let leftCount = 0;
    for (let bin = 0; bin < cutCount; bin += 1) {
      leftGradient += histogramGradient[bin] as number;
      leftHessian += histogramHessian[bin] as number;
      leftCount += histogramCount[bin] as number;
      const rightCount = members.length - leftCount;
      const rightHessian = totalHessian - leftHessian;
      if (leftCount < settings.minLeafRows || rightCount < settings.minLeafRows) continue;
      if (leftHessian < settings.minChildHessian || rightHessian < settings.minChildHessian) continue;
      const rightGradient = totalGradient - leftGradient;
      const gain = (leftGradient * leftGradient) / (leftHessian + settings.l2) + (rightGradient * rightGradient) / (rightHessian + settings.l2) - parentScore;
      if (gain > 1e-12 && (best === undefined || gain > best.gain)) best = { feature: f, bin, gain };
    }
  }
  return best;
}

/**
 * Grows one depth-limited regression tree on gradients and hessians (Newton leaves, L2-regularised),
 * over the binned rows `members` (indices into the binned matrix).
 * @internal
 */
export function growTree(binned: BinnedFeatures, members: Int32Array, gradient: Float64Array, hessian: Float64Array, settings: GrowthSettings, classIndex: number): RegressionTree {
  const tree = { classIndex, feature: [] as number[], threshold: [] as number[], left: [] as number[], right: [] as number[], value: [] as number[] };
  const grow = (rows: Int32Array, depth: number): number => {
    const node = tree.feature.length;
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(0);
    tree.right.push(0);
    tree.value.push(0);
    const split = depth < settings.maxDepth ? bestSplit(binned, rows, gradient, hessian, settings) : undefined;
    if (split === undefined) {
      let sumGradient = 0;
      let sumHessian = 0;
      for (const row of rows) {
        sumGradient += gradient[row] as number;
        sumHessian += hessian[row] as number;
      }
      tree.value[node] = Math.fround((-sumGradient / (sumHessian + settings.l2)) * settings.learningRate);
      return node;
    }
    const leftRows = rows.filter((row) => (binned.bins[row * binned.columns + split.feature] as number) <= split.bin);
    const rightRows = rows.filter((row) => (binned.bins[row * binned.columns + split.feature] as number) > split.bin);
    tree.feature[node] = split.feature;
    tree.threshold[node] = (binned.cuts[split.feature] as Float32Array)[split.bin] as number;
    tree.left[node] = grow(leftRows, depth + 1);
    tree.right[node] = grow(rightRows, depth + 1);
    return node;
  };
  grow(members, 0);
  return tree;
}

/**
 * The leaf value a tree gives a float32 row starting at `start`.
 * @internal
 */
export function treeValue(tree: RegressionTree, values: Float32Array, start: number): number {
  let node = 0;
  while ((tree.feature[node] as number) >= 0) {
    node = (values[start + (tree.feature[node] as number)] as number) <= (tree.threshold[node] as number) ? (tree.left[node] as number) : (tree.right[node] as number);
  }
  return tree.value[node] as number;
}
