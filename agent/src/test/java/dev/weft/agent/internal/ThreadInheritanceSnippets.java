package dev.weft.agent.internal;

import java.util.function.Predicate;

/**
 * The Java equivalent of the class that {@link ThreadInheritance#parentsClass()} generates, compiled with the tests
 * so that its comment shows code that compiles.
 */
@SuppressWarnings("unused")
final class ThreadInheritanceSnippets {
    private ThreadInheritanceSnippets() {}

    // @start region=parents
    final class WeftThreadParents {
        static volatile Thread standIn;
        static volatile Predicate<Thread> replaced;
        static Thread parentFor(Thread parent) {
            Thread s = standIn;
            Predicate<Thread> p = replaced;
            return s != null && p != null && parent.isVirtual() && p.test(parent) ? s : parent;
        }
    }
    // @end
}
