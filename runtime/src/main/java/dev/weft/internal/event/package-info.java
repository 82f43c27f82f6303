/**
 * Weft's JFR events, in the category {@code dev.weft}, and the one field ({@link dev.weft.internal.event.Jfr#recording})
 * every event site reads first. Layer 1: depends on {@code jdk.jfr} only. The settings file {@code weft.jfc} beside
 * these classes enables them all (task start and end too) with their default thresholds; {@code weft run --jfr FILE}
 * records with it.
 */
package dev.weft.internal.event;
