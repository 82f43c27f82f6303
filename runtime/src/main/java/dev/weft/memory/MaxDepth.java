package dev.weft.memory;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares the most activations of a recursive method on one stack, so that {@link StackBound} can bound a
 * stack through its recursion. Without it a recursion makes the bound unbounded, and the report names the
 * cycle.
 *
 * {@snippet class=dev.weft.memory.StackSnippets region=maxDepth}
 * }
 *
 * <p>The depth counts activations of this method on the stack at once, whatever the path between them; a cycle
 * through several methods needs the annotation on at least one method of every cycle. The analysis trusts it:
 * a depth the code exceeds makes the bound wrong, so enforce it where the input comes in (a tree's height, a
 * parser's nesting limit).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.CONSTRUCTOR})
public @interface MaxDepth {

    /** The most activations of the method on one stack, at least 1. */
    int value();
}
