package dev.weft;

import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * A nursery: the only way to start concurrent work in Weft. Children spawned into a scope never outlive
 * it: {@link #run} returns only after every child has finished.
 *
 * {@snippet class=dev.weft.snippets.ScopeSnippets region=nursery}
 *
 * <h2>Failure</h2>
 * In a scope opened with {@link #run}, the first failure (a child's or the body's) cancels the scope: the
 * other children and the body see {@link Cancelled} (reason {@link CancelReason#FAILED_SIBLING}) at their
 * next cancellation point, and their cleanup runs. When all have finished, {@code run} throws the first
 * failure, with every later one attached as {@linkplain Throwable#getSuppressed() suppressed}: unchecked
 * exceptions and errors as they are, a child's checked exception wrapped in {@link TaskFailedException},
 * the body's own checked exception as it is. A scope opened with {@link #supervise} is for servers: a
 * child's failure goes to a handler and cancels nothing.
 *
 * <h2>Cancellation</h2>
 * The scope is a {@link CancelScope} ({@link #cancelScope()}): cancelling it (or its deadline) cancels
 * the body and every child, and is absorbed by the scope ({@code run} then returns {@code null} unless the
 * body had already returned; {@link #runOptional} returns empty instead). Cancellation from outside reaches every child. While the scope waits for
 * its children it is not a cancellation point (it cannot leave before them).
 *
 * <h2>Exceptions</h2>
 * Misuse fails with {@link IllegalStateException}: opening a scope outside a Weft task; spawning into a
 * scope whose body returned and whose children all finished; spawning from a task that is neither the
 * scope's owner nor running inside it.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before {@code spawn} happen-before the child starts; actions in a child happen-before
 * {@code run} returns.
 *
 * <h2>Thread safety</h2>
 * {@code spawn} from the owner and its descendants; {@link #cancel()} from any thread.
 *
 * @implNote Each child is a virtual thread whose scheduler is a Weft loop: by default the loop of the
 * spawning task, so a parent and its children share one carrier thread and never run in parallel
 * unless spawned elsewhere with {@link #spawnOn}.
 */
public sealed interface TaskScope permits TaskScopeImpl {

    /**
     * Opens a scope in the current task, runs {@code body}, waits for every child, and returns the body's
     * result. The first failure cancels the rest and is rethrown (see the class documentation).
     */
    static <T, X extends Throwable> T run(ScopeBody<T, X> body) throws X {
        return TaskScopeImpl.open(body, false, null);
    }

    /**
     * Opens a scope whose body returns nothing, runs {@code body}, and waits for every child:
     * {@code TaskScope.run(scope -> { scope.spawn(...); })} needs no {@code return null;}. A body that returns a
     * value selects {@link #run(ScopeBody)}; see {@link ScopeAction} for the one lambda form javac cannot place.
     */
    // the void and value forms overload on purpose; javac places every lambda but the one ScopeAction documents
    @SuppressWarnings("overloads")
    static <X extends Throwable> void run(ScopeAction<X> body) throws X {
        if (body == null) {
            throw new NullPointerException("body is null; pass a lambda: TaskScope.run(scope -> { scope.spawn(...); })");
        }
        TaskScopeImpl.open(scope -> {
            body.perform(scope);
            return null;
        }, false, null);
    }

    /**
     * As {@link #run(ScopeBody)}, with a result that cannot be confused with {@code null}: empty when the scope
     * absorbed its own cancellation ({@link #cancel()}, its deadline) before the body returned, else the body's
     * result.
     *
     * {@snippet class=dev.weft.snippets.ScopeSnippets region=run-optional}
     *
     * @throws NullPointerException if the body returned {@code null} (an empty result means cancelled; return a
     *                              value, or use {@link #run(ScopeBody)})
     */
    static <T, X extends Throwable> Optional<T> runOptional(ScopeBody<? extends T, X> body) throws X {
        if (body == null) {
            throw new NullPointerException("body is null; pass a lambda: TaskScope.runOptional(scope -> { ...; return x; })");
        }
        return TaskScopeImpl.openOptional(body);
    }

    /**
     * Runs every one of {@code bodies} as a child and returns the first successful result; the others are then
     * cancelled, and their cleanup has run when this returns. Failures of the others do not matter while one
     * succeeds ({@code StructuredTaskScope.Joiner.anySuccessfulResultOrThrow}, Kotlin's {@code select} over
     * {@code async}s).
     *
     * {@snippet class=dev.weft.snippets.ScopeSnippets region=first-success}
     *
     * <p>A child fails by throwing an {@link Exception}; an {@link Error} (an assertion, {@link OutOfMemoryError})
     * fails the whole race as it would a {@link #run} scope. A cancellation from outside cancels every child and
     * propagates.
     *
     * @throws TaskFailedException      if every body failed: the first failure is its cause, the others suppressed
     * @throws IllegalArgumentException if {@code bodies} is empty
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // List.of copies the array; nothing is ever stored into it
    static <T> T firstSuccess(ThrowingCallable<? extends T, ? extends Exception>... bodies) {
        return TaskScopeImpl.firstSuccess(List.of(bodies));
    }

    /** As {@link #firstSuccess(ThrowingCallable...)}, for a list of bodies. */
    static <T> T firstSuccess(List<? extends ThrowingCallable<? extends T, ? extends Exception>> bodies) {
        return TaskScopeImpl.firstSuccess(bodies);
    }

    /**
     * Opens a supervising scope: a child's failure does not cancel its siblings or the body; it is passed
     * to {@code onFailure} (on the failing child's thread) and remains visible through the child's
     * {@link Task#join()}. The body's own failure still cancels the children.
     */
    static <T, X extends Throwable> T supervise(ScopeBody<T, X> body, BiConsumer<Task<?>, Throwable> onFailure)
            throws X {
        if (onFailure == null) {
            throw new NullPointerException("onFailure is null; pass a handler, e.g. (task, e) -> log(task, e)");
        }
        return TaskScopeImpl.open(body, true, onFailure);
    }

    /**
     * As {@link #supervise(ScopeBody, BiConsumer)}, for a body that returns nothing (a server's accept loop).
     */
    // the void and value forms overload on purpose; javac places every lambda but the one ScopeAction documents
    @SuppressWarnings("overloads")
    static <X extends Throwable> void supervise(ScopeAction<X> body, BiConsumer<Task<?>, Throwable> onFailure)
            throws X {
        if (body == null) {
            throw new NullPointerException("body is null; pass a lambda: TaskScope.supervise(scope -> { ... }, handler)");
        }
        if (onFailure == null) {
            throw new NullPointerException("onFailure is null; pass a handler, e.g. (task, e) -> log(task, e)");
        }
        TaskScopeImpl.open(scope -> {
            body.perform(scope);
            return null;
        }, true, onFailure);
    }

    /** Spawns a child running {@code body} on the current task's loop. */
    <T> Task<T> spawn(ThrowingCallable<T, ? extends Exception> body);

    /** Spawns a named child running {@code body} on the current task's loop. */
    <T> Task<T> spawn(String name, ThrowingCallable<T, ? extends Exception> body);

    /** Spawns a named child on {@code loop} (a loop, or the stealing pool {@link Weft#stealingPool()}). */
    <T> Task<T> spawnOn(Loop loop, String name, ThrowingCallable<T, ? extends Exception> body);

    /**
     * Spawns a child running {@code body}, which returns nothing, on the current task's loop:
     * {@code scope.spawn(() -> work())} needs no {@code return null;}. A body that returns a value selects
     * {@link #spawn(ThrowingCallable)}.
     *
     * @apiNote A method reference to an overloaded method ({@code event::await}, which also takes a
     * {@code Duration}) fits both forms and javac reports the call as ambiguous: write a lambda
     * ({@code () -> event.await()}).
     */
    Task<Void> spawn(ThrowingRunnable<? extends Exception> body);

    /** Spawns a named child running {@code body}, which returns nothing, on the current task's loop. */
    Task<Void> spawn(String name, ThrowingRunnable<? extends Exception> body);

    /** Spawns a named child running {@code body}, which returns nothing, on {@code loop}. */
    Task<Void> spawnOn(Loop loop, String name, ThrowingRunnable<? extends Exception> body);

    /**
     * Trio's {@code nursery.start}: spawns a named child running {@code body} and waits until it calls
     * {@link TaskStatus#started(Object) status.started(value)}, then returns that value while the child runs on in
     * this scope. For a server that must be listening before its clients start.
     *
     * {@snippet class=dev.weft.snippets.ScopeSnippets region=start}
     *
     * <h4>Cancellation</h4>
     * A cancellation point while it waits. If the caller is cancelled before the child called {@code started},
     * the child is cancelled too (it was started for the caller), and {@code start} raises the {@link Cancelled}.
     *
     * <h4>Exceptions</h4>
     * If the child fails before it called {@code started}, {@code start} throws {@link TaskFailedException} with
     * that failure as its cause (in a {@link #run} scope the failure also cancels the scope, as any child's does);
     * if it returns without calling {@code started}, {@link IllegalStateException}; if it was cancelled,
     * {@link java.util.concurrent.CancellationException}.
     *
     * @return the value the child passed to {@code started}
     */
    <T> T start(String name, StartBody<T, ? extends Exception> body);

    /**
     * Registers {@code resource} to be closed when the scope exits, after every child has finished; all
     * registered resources close in reverse order, also on failure and cancellation. Returns it.
     */
    <R extends AutoCloseable> R closeOnExit(R resource);

    /** Cancels the body and every child. Idempotent; any thread. */
    void cancel();

    /** The scope's cancel scope (deadlines, shield, {@code cancelledCaught}). */
    CancelScope cancelScope();

    /** Children that have not finished yet. */
    int liveChildren();
}
