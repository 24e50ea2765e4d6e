/**
 * The {@code care report} page: one or more {@code results.json} turned into a self-contained HTML file with
 * PNG figures drawn by java.awt in headless mode (accuracy curves, accuracy matrices as heat maps, routing
 * diagnostics) and a summary table. No charting library; every figure stays legible from 10 tasks to 500.
 */
package org.care4j.report;
