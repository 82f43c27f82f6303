package dev.weft.agent;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Chooses where the Weft agent compiles cancellation points into a class or method, overriding the agent's
 * rules. A method annotation overrides its class's; {@link dev.weft.Uncancellable} overrides both.
 *
 * {@snippet :
 * @Checkpoints("entry")          // a check at every call, and at every back-edge: for recursion the agent cannot
 * static long walk(Node n) {     // see, through another class or a lambda (it finds recursion within a class itself)
 *     return n == null ? 0 : 1 + n.children().stream().mapToLong(c -> walk(c)).sum();
 * }
 *
 * @Checkpoints("backedge/64")    // a hot loop with calls: check every 64th iteration
 * static void drain(java.util.Queue<Runnable> q) {
 *     for (Runnable r; (r = q.poll()) != null; ) r.run();
 * }
 * }
 *
 * <p>Class retention: the agent reads it from the class file; nothing needs it at run time.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.CONSTRUCTOR})
public @interface Checkpoints {
    /** The policy: {@code backedge}, {@code backedge/N}, {@code entry} or {@code none}. */
    String value();
}
