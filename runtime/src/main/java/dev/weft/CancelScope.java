package dev.weft;

import java.time.Duration;
import java.util.Optional;

/**
 * A region of code that can be cancelled as a unit, explicitly or by a deadline; Trio's cancel scopes
 * in Java.
 *
 * {@snippet class=dev.weft.snippets.CancelScopeSnippets region=cancel-scope}
 *
 * // Raise instead of continuing:
 * String strict = CancelScope.failAfter(Duration.ofSeconds(2), () -> fetch(url));
 *
 * // Cleanup that must block: shielded from outer cancellation, under its own deadline.
 * CancelScope.shielded(Duration.ofSeconds(5), () -> connection.flushAndClose());
 * }
 *
 * <h2>Cancellation</h2>
 * A scope is <em>entered</em> by {@link #run} or {@link #call} (once: create a new scope per block) in a
 * Weft task. Once it is cancelled ({@link #cancel()}, or its deadline passes), every cancellation point
 * inside it raises {@link Cancelled}, again and again, including in {@code finally} blocks, until the code
 * leaves the scope or enters a shield: cancellation is <em>level-triggered</em>. The outermost cancelled
 * scope catches the {@code Cancelled} ({@link #cancelledCaught()} becomes true) and execution continues
 * after it. The effective deadline inside nested scopes is the earliest of the enclosing ones, except that
 * a {@linkplain #shield(boolean) shield} hides every cancellation from outside it (its own deadline and
 * inner scopes still apply); turning the shield off delivers a pending outer cancellation at the next
 * cancellation point. Cancellation points: {@link Cancellation#checkpoint()}, every Weft wait
 * ({@link Weft#sleep}, {@link Task#join()}, {@link Channel} operations, {@link Blocking#call}), JDK
 * blocking calls in a task (they wake through an interrupt and throw {@code InterruptedException}), and
 * loop back-edges compiled in by the Weft agent. Nothing else is.
 *
 * <h2>Exceptions</h2>
 * Entering a scope outside a Weft task, or entering it twice, throws {@link IllegalStateException}.
 * Exceptions other than {@code Cancelled} pass through unchanged.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before {@link #cancel()} happen-before the {@code Cancelled} it causes is thrown.
 *
 * <h2>Thread safety</h2>
 * {@link #cancel()}, {@link #setDeadlineNs}, {@link #shield(boolean)} and the queries are safe from any
 * thread; {@code run} and {@code call} from the task that enters the scope.
 *
 * @implNote A scope links to its parent and children; {@code cancel()} marks it and interrupts exactly the
 * tasks whose innermost scope lies inside it (not behind a shield). Checkpoints read one process-wide
 * volatile counter of cancelled scopes and walk the scope chain only when it is non-zero.
 */
public sealed interface CancelScope permits CancelScopeImpl {

    /** A scope with no deadline, cancelled only by {@link #cancel()}. */
    static CancelScope create() {
        return new CancelScopeImpl(null, CancelScopeImpl.NO_DEADLINE, -1, false);
    }

    /**
     * A scope whose deadline is {@code timeout} after it is <em>entered</em> (a relative deadline).
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    static CancelScope withTimeout(Duration timeout) {
        return new CancelScopeImpl(null, CancelScopeImpl.NO_DEADLINE, CancelScopeImpl.checkTimeout(timeout), false);
    }

    /** A scope with an absolute deadline on the runtime clock ({@link Weft#nanoTime()}). */
    static CancelScope withDeadlineNs(long deadlineNs) {
        return new CancelScopeImpl(null, deadlineNs, -1, false);
    }

    /**
     * Runs {@code body} with a deadline {@code timeout} from now; if the deadline cancels it, throws
     * {@link DeadlineExceededException} instead of continuing.
     */
    static <T, X extends Throwable> T failAfter(Duration timeout, ThrowingCallable<T, X> body) throws X {
        CancelScope scope = withTimeout(timeout).name("failAfter(" + timeout + ")");
        T result = scope.call(body);
        if (scope.cancelledCaught()) {
            throw new DeadlineExceededException("deadline of " + timeout + " exceeded", null);
        }
        return result;
    }

    /** Runs {@code body} with a deadline {@code timeout} from now, continuing silently if it expires. */
    static <X extends Throwable> CancelScope moveOnAfter(Duration timeout, ThrowingRunnable<X> body) throws X {
        CancelScope scope = withTimeout(timeout).name("moveOnAfter(" + timeout + ")");
        scope.run(body);
        return scope;
    }

    /**
     * Runs cleanup {@code body} shielded from outer cancellation, under its own deadline {@code timeout}
     * (the time the cleanup may take; its own scope still cancels it then).
     */
    static <X extends Throwable> CancelScope shielded(Duration timeout, ThrowingRunnable<X> body) throws X {
        CancelScope scope = withTimeout(timeout).shield(true).name("shielded(" + timeout + ")");
        scope.run(body);
        return scope;
    }

    /** Names the scope for error messages and task dumps; returns this scope. */
    CancelScope name(String name);

    /** The scope's name. */
    String name();

    /**
     * Makes this scope a shield (or not): while shielded, cancellation from outside does not reach the
     * code inside. May be changed while the scope runs; returns this scope.
     */
    CancelScope shield(boolean shield);

    /** Whether this scope is a shield. */
    boolean isShield();

    /** Enters the scope, runs {@code body}, and absorbs this scope's own cancellation. */
    <X extends Throwable> void run(ThrowingRunnable<X> body) throws X;

    /**
     * Enters the scope and returns {@code body}'s result, or {@code null} if this scope's cancellation was
     * caught (check {@link #cancelledCaught()}).
     */
    <T, X extends Throwable> T call(ThrowingCallable<T, X> body) throws X;

    /**
     * Enters the scope and returns {@code body}'s result, or empty if this scope's cancellation was caught: a
     * result that cannot be confused with {@code null} (Kotlin's {@code withTimeoutOrNull}, without the null).
     *
     * {@snippet class=dev.weft.snippets.CancelScopeSnippets region=call-optional}
     *
     * @throws NullPointerException if {@code body} returned {@code null} (empty means cancelled; return a value,
     *                              or use {@link #call} and {@link #cancelledCaught()})
     */
    default <T, X extends Throwable> Optional<T> callOptional(ThrowingCallable<? extends T, X> body) throws X {
        if (body == null) {
            throw new NullPointerException("body is null; pass a lambda: scope.callOptional(() -> fetch(url))");
        }
        T result = call(body);
        if (cancelledCaught()) {
            return Optional.empty();
        }
        if (result == null) {
            throw new NullPointerException("the body of callOptional returned null, which would read as 'cancelled';"
                    + " return a value, or use call and check cancelledCaught()");
        }
        return Optional.of(result);
    }

    /** Cancels the scope. Idempotent; any thread; effective even before the scope is entered. */
    void cancel();

    /** Whether the scope was cancelled (explicitly or by its deadline). */
    boolean isCancelRequested();

    /** Whether the scope caught a {@link Cancelled} when its body ended. */
    boolean cancelledCaught();

    /** The absolute deadline on {@link Weft#nanoTime()}, or {@link Long#MAX_VALUE} if none (yet). */
    long deadlineNs();

    /**
     * Moves the deadline (lower or higher) to {@code deadlineNs} on {@link Weft#nanoTime()}; a deadline in
     * the past cancels the scope at once. Any thread.
     */
    void setDeadlineNs(long deadlineNs);
}
