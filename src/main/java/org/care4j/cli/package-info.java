/**
 * The {@code care} command line: run, bench, data, learn, predict, inspect and report.
 */
package org.care4j.cli;
