package org.care4j.eval;

/**
 * Routing diagnostics of one transformer block over the test images of one evaluation (CARE-SPEC section 7).
 *
 * @param block the block index, 0-based
 * @param routerRecall R@M in %: the share of test images whose true task is among the M routers picked for them
 * @param expertRecall E@K in %: the share of test images whose true task's expert carries a weight, that is,
 *     is among the top-K experts of at least one picked router
 */
public record BlockRouting(int block, double routerRecall, double expertRecall) {}
