/** JMH benchmarks of Weft against its anchors; run with {@code ./weft bench}. */
package dev.weft.bench;
