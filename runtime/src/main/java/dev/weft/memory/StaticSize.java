package dev.weft.memory;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Asks {@code weft-processor} to compute this class's footprint at compile time and to reject the class if
 * the footprint cannot be a constant.
 *
 * {@snippet class=dev.weft.snippets.Slot region=slot}
 *
 * <h2>What may be in a static-size class</h2>
 * <ul>
 * <li>primitive fields of any width;</li>
 * <li>references to final classes or records annotated {@code @StaticSize} (counted with their deep size), or
 * to a sealed type whose permitted subclasses all are (counted with the largest);</li>
 * <li>references to boxed primitives (counted as owned) and to enums (counted as a reference only: enum
 * constants are shared);</li>
 * <li>fields of a type variable whose bound is one of the above ({@code <T extends Leaf>}): the JVM stores
 * the erasure, so only the bound's instances fit;</li>
 * <li>final array fields annotated {@link FixedLength} whose elements are any of the above;</li>
 * <li>a superclass, annotated or not, that follows the same rules ({@code Object} and {@code Record} are
 * fine).</li>
 * </ul>
 * Anything else, such as a {@code String}, a collection, a JDK class, an interface with unknown
 * implementations, a non-final class, an array without a fixed length, or a type that contains itself, is a
 * compile error that names the field and suggests {@link RuntimeStaticSized}. Static fields are ignored;
 * transient and volatile ones count like any other.
 *
 * <p>The class must be top-level or a static nested class (records, enums and members of interfaces are
 * static). An inner class is rejected ("make it static"): javac adds its hidden reference to the enclosing
 * instance only after annotation processing. A class declared in a method body is rejected too, since the
 * processor cannot see it; an anonymous class cannot carry the annotation at all.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface StaticSize {
}
