package dev.weft;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method, constructor or class whose body the Weft agent must not compile cancellation points into: a
 * critical section that must run to its end once started, typically one guarded by a
 * {@link java.util.concurrent.locks.Lock} (the agent already leaves {@code synchronized} regions alone).
 *
 * {@snippet class=dev.weft.snippets.RuntimeSnippets region=uncancellable}
 *
 * <h2>Cancellation</h2>
 * The annotation removes the checks the agent would compile into the annotated code itself; a cancellation that
 * arrives meanwhile stays pending and is delivered at the next check outside. It does not shield the code it
 * calls: a method called from here that has its own compiled checks, or that calls an explicit checkpoint, can
 * still throw {@link Cancelled}. Annotate those too, or keep the critical section free of such calls. Lambdas
 * and nested classes are separate methods and classes: annotate them separately.
 *
 * @apiNote Runtime retention, so that tools and tests can see it by reflection; the agent reads it from the
 *          class file.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.CONSTRUCTOR, ElementType.TYPE})
public @interface Uncancellable {}
