package dev.weft;

/**
 * The body of a {@link TaskScope} that returns nothing: spawns children into {@code scope}, and the scope joins
 * them when the body ends. {@link TaskScope#run(ScopeAction)} takes it, so a void body needs no
 * {@code return null;}.
 *
 * {@snippet class=dev.weft.snippets.ScopeSnippets region=void-body}
 *
 * @apiNote {@link ScopeBody} extends this interface, so a lambda that fits both forms ({@code scope ->
 * scope.spawn(...)}, an expression) selects the more specific {@code ScopeBody} and the scope returns its value.
 * An expression lambda that calls a {@code void} method ({@code scope -> log()}) fits only this form but javac
 * cannot tell from the untyped parameter: write a block ({@code scope -> { log(); }}) or type the parameter
 * ({@code (TaskScope scope) -> log()}).
 *
 * @param <X> what the body may throw (inferred; {@code RuntimeException} when it throws nothing checked)
 */
@FunctionalInterface
public interface ScopeAction<X extends Throwable> {
    /** Runs the body; children spawned into {@code scope} are joined when it returns. */
    void perform(TaskScope scope) throws X;
}
