package dev.weft.memory;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Fixes the length of a final array field (or record component) of a {@link StaticSize} class, so that the
 * array's size is part of the compile-time footprint.
 *
 * {@snippet class=dev.weft.snippets.Matrix region=matrix}
 *
 * <p>One length per array dimension, outermost first; every length must be {@code >= 0}. The processor
 * cannot see constructors, so the class must allocate exactly these lengths; {@link Sizes#requireLength} is a
 * one-line check for the constructor.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.RECORD_COMPONENT, ElementType.PARAMETER})
public @interface FixedLength {

    /** Length of each dimension, outermost first. */
    int[] value();
}
