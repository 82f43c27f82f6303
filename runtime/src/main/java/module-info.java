/**
 * Weft: cancellable, structured, memory-bounded tasks for the JVM.
 *
 * <p>Public API: {@link dev.weft} (tasks, scopes, cancellation, loops, context) and
 * {@code dev.weft.memory} (sizing and budgets). Everything under {@code dev.weft.internal} is machinery.
 */
module dev.weft {
    requires java.management;
    requires jdk.management;
    exports dev.weft;
    exports dev.weft.memory;
}
