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
 * {@snippet class=dev.weft.snippets.AgentSnippets region=checkpoints}
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
