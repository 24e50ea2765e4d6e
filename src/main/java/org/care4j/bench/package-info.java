/**
 * {@code care bench}: throughput and peak memory of the BR-MoE compute paths on synthetic tasks.
 *
 * <p>The parent ({@link org.care4j.bench.Benchmark}) walks the matrix of shapes, task counts, phases and modes
 * and runs every row in a child JVM ({@link org.care4j.bench.RowMeasurement}), so that a row that runs out
 * of memory, is killed, or times out becomes a row without a figure instead of ending the benchmark. Rows
 * whose estimated need ({@link org.care4j.bench.MemoryEstimate}) exceeds the memory budget are not started.
 * {@link org.care4j.bench.ParameterMemory} gives the memory of the parameters that grow with the number of
 * tasks.
 */
package org.care4j.bench;
