/**
 * The one internal interface to HDF5. Only this folder knows that h5wasm exists; everything else
 * reads groups, attributes and datasets through `Hdf5File`.
 *
 * (Interface fixed by the foundation; the h5wasm-backed implementation lives in ./hdf5-h5wasm.ts.)
 */

/** A decoded attribute: strings NUL/space-stripped and UTF-8 decoded, numbers as plain arrays/scalars. */
export type AttrValue = string | string[] | number | number[] | bigint | boolean | null;

export interface DatasetInfo {
  /** float32, float16, bfloat16, float64, int8/16/32/64, uint8/16/32/64, bool, string, opaque */
  dtype: string;
  shape: number[];
}

export interface DatasetData extends DatasetInfo {
  /** Floats (any width, either endianness) delivered as float32; integers and bools as int32. */
  values: Float32Array | Int32Array;
}

export interface Hdf5File {
  /** File name or label, for error messages. */
  readonly label: string;
  /** 'group' | 'dataset' | null when nothing is at that path. */
  kind(path: string): 'group' | 'dataset' | null;
  /** Child names of a group, in the file's (alphabetical) order. */
  keys(groupPath: string): string[];
  attrNames(path: string): string[];
  /** Attribute value or undefined when absent. */
  attr(path: string, name: string): AttrValue | undefined;
  /**
   * A string-list attribute that Keras may split into `name0`, `name1`, … (formats.md §1.4).
   * Empty lists stored as float64 come back as []. Undefined when neither form exists.
   */
  stringListAttr(path: string, name: string): string[] | undefined;
  datasetInfo(path: string): DatasetInfo;
  readDataset(path: string): DatasetData;
  /**
   * Several datasets at once, in order: the same results as readDataset on each, but the implementation may
   * give their values one shared buffer (views into it). Throws as readDataset would on the first bad one.
   */
  readDatasets(paths: string[]): DatasetData[];
  /** readDatasets, free to overlap the reads (the same results). */
  readDatasetsAsync(paths: string[]): Promise<DatasetData[]>;
  close(): void;
}
