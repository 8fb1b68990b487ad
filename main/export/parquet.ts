import { readFileSync, writeFileSync } from 'node:fs';
import {
  Bool,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int64,
  RecordBatch,
  Schema,
  Struct,
  Table,
  makeData,
  tableFromIPC,
  tableToIPC,
  type Data,
  type DataType,
  type Vector,
} from 'apache-arrow';
import * as parquet from 'parquet-wasm';

/**
 * Parquet through Arrow: columns are built as Arrow arrays (exact types: `fixed_size_list<float>[N]`
 * for vectors, int64 indices, float32 timestamps) and written by parquet-wasm (arrow-rs) with snappy
 * compression. The Arrow schema travels in the file (`ARROW:schema`), so pyarrow/HF datasets read the
 * same types back; schema metadata (e.g. pandas') is also written as file key-value metadata.
 */

export type Column =
  | { name: string; kind: 'float32'; data: Float32Array }
  | { name: string; kind: 'float64'; data: Float64Array }
  | { name: string; kind: 'int64'; data: BigInt64Array }
  | { name: string; kind: 'bool'; data: Uint8Array }
  | { name: string; kind: 'float32_list'; dim: number; data: Float32Array }
  | { name: string; kind: 'vector'; vector: Vector };

function columnData(column: Column): { type: DataType; data: Data } {
  switch (column.kind) {
    case 'float32':
      return { type: new Float32(), data: makeData({ type: new Float32(), length: column.data.length, data: column.data }) };
    case 'float64':
      return { type: new Float64(), data: makeData({ type: new Float64(), length: column.data.length, data: column.data }) };
    case 'int64':
      return { type: new Int64(), data: makeData({ type: new Int64(), length: column.data.length, data: column.data }) };
    case 'bool': {
      const bits = new Uint8Array(Math.ceil(column.data.length / 8));
      column.data.forEach((v, i) => {
        if (v !== 0) bits[i >> 3]! |= 1 << (i & 7);
      });
      return { type: new Bool(), data: makeData({ type: new Bool(), length: column.data.length, data: bits }) };
    }
    case 'float32_list': {
      const type = new FixedSizeList(column.dim, new Field('item', new Float32(), true));
      const child = makeData({ type: new Float32(), length: column.data.length, data: column.data });
      return { type, data: makeData({ type, length: column.data.length / column.dim, nullCount: 0, child }) };
    }
    case 'vector':
      return { type: column.vector.type as DataType, data: column.vector.data[0]! };
  }
}

export function arrowTable(columns: readonly Column[], metadata: Map<string, string> = new Map()): Table {
  const built = columns.map(columnData);
  const fields = columns.map((c, i) => new Field(c.name, built[i]!.type, true));
  const schema = new Schema(fields, metadata);
  const length = built[0]?.data.length ?? 0;
  for (const [i, b] of built.entries()) {
    if (b.data.length !== length) throw new Error(`column "${columns[i]!.name}" has ${b.data.length} rows, expected ${length}`);
  }
  const struct = makeData({ type: new Struct(fields), length, nullCount: 0, children: built.map((b) => b.data) });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}

/** Writes Arrow tables (same schema; e.g. one per episode) as one snappy Parquet file. */
export function writeParquetFile(path: string, tables: readonly Table[], metadata: Map<string, string> = new Map()): number {
  const first = tables[0];
  if (first === undefined) throw new Error(`no rows to write to ${path}`);
  const table =
    tables.length === 1
      ? first
      : new Table(
          first.schema,
          tables.flatMap((t) => t.batches),
        );
  const wasmTable = parquet.Table.fromIPCStream(tableToIPC(table, 'stream'));
  let builder = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.SNAPPY).setCreatedBy('foresight-studio');
  if (metadata.size > 0) builder = builder.setKeyValueMetadata(metadata);
  const bytes = parquet.writeParquet(wasmTable, builder.build());
  writeFileSync(path, bytes);
  return bytes.byteLength;
}

export function readParquetFile(path: string): Table {
  const wasmTable = parquet.readParquet(readFileSync(path));
  return tableFromIPC(wasmTable.intoIPCStream());
}

/** pandas' schema metadata for a frame whose index is the column `index` (as `DataFrame.to_parquet` writes it). */
export function pandasIndexMetadata(
  index: { name: string; numpy: string; pandas: string },
  columns: { name: string; numpy: string; pandas: string }[],
): string {
  const column = (c: { name: string; numpy: string; pandas: string }) => ({
    name: c.name,
    field_name: c.name,
    pandas_type: c.pandas,
    numpy_type: c.numpy,
    metadata: null,
  });
  return JSON.stringify({
    index_columns: [index.name],
    column_indexes: [{ name: null, field_name: null, pandas_type: 'unicode', numpy_type: 'object', metadata: { encoding: 'UTF-8' } }],
    columns: [...columns.map(column), column(index)],
    creator: { library: 'pyarrow', version: '21.0.0' },
    pandas_version: '2.2.3',
  });
}
