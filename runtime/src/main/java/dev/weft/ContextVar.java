package dev.weft;

import java.util.Objects;

/**
 * A context variable with Python {@code contextvars} semantics: each task sees its own value; a child
 * task starts with a snapshot of its parent's context taken at spawn; the value travels with the task
 * across loops and carrier threads.
 *
 * {@snippet class=dev.weft.snippets.RuntimeSnippets region=context-var}
 *
 * <h2>Semantics</h2>
 * Setting a variable changes only the current task's context; siblings and the parent never see it, and
 * later changes in the parent do not reach children already spawned. Outside Weft tasks, each thread has
 * its own context.
 *
 * <h2>Exceptions</h2>
 * Resetting with a token that belongs to another variable, was already used, or was made in another task,
 * and closing a {@link Binding} out of order, throw {@link IllegalStateException} naming the fix.
 *
 * <h2>Thread safety</h2>
 * Safe from any thread; each thread (task) operates on its own context.
 *
 * @param <T> the value type
 */
public final class ContextVar<T> {
    private static final ThreadLocal<ContextMap> NON_TASK = ThreadLocal.withInitial(() -> ContextMap.EMPTY);

    private final String name;
    private final T defaultValue;

    private ContextVar(String name, T defaultValue) {
        this.name = Objects.requireNonNull(name, "name");
        this.defaultValue = defaultValue;
    }

    /** A variable with no default: {@link #get()} returns null until set. */
    public static <T> ContextVar<T> of(String name) {
        return new ContextVar<>(name, null);
    }

    /** A variable whose {@link #get()} returns {@code defaultValue} until set. */
    public static <T> ContextVar<T> withDefault(String name, T defaultValue) {
        return new ContextVar<>(name, defaultValue);
    }

    /** The variable's name. */
    public String name() {
        return name;
    }

    /** The value in the current task's context, or the default. */
    @SuppressWarnings("unchecked")
    public T get() {
        ContextMap.Entry e = currentMap().get(this);
        return e == null ? defaultValue : (T) e.value;
    }

    /** Whether the variable has a value (set, not the default) in the current context. */
    public boolean isSet() {
        return currentMap().get(this) != null;
    }

    /** Sets the value in the current task's context; the token restores the previous value. */
    public Token<T> set(T value) {
        ContextMap.Entry previous = currentMap().get(this);
        ContextMap.Entry entry = new ContextMap.Entry(value);
        setCurrentMap(currentMap().with(this, entry));
        return new Token<>(this, previous, entry, owner());
    }

    /**
     * Restores the value {@code token}'s {@link #set} replaced.
     *
     * @throws IllegalStateException if the token belongs to another variable or task, or was used
     */
    public void reset(Token<T> token) {
        if (token.variable != this) {
            throw new IllegalStateException("token of context variable '" + token.variable.name
                    + "' passed to reset() of '" + name + "'; reset each variable with its own token");
        }
        if (token.used) {
            throw new IllegalStateException("token for context variable '" + name
                    + "' was already used; a token resets once");
        }
        if (token.owner != owner()) {
            throw new IllegalStateException("token for context variable '" + name
                    + "' was created in another task or thread; reset it where set() was called");
        }
        token.used = true;
        setCurrentMap(currentMap().with(this, token.previous));
    }

    /**
     * Sets the value for the duration of a try-with-resources block.
     *
     * @throws IllegalStateException from {@link Binding#close()} if bindings are closed out of order
     */
    public Binding bind(T value) {
        return new Binding(set(value));
    }

    /** Restores a variable's previous value; returned by {@link #set}. Single use. */
    public static final class Token<T> {
        private final ContextVar<T> variable;
        private final ContextMap.Entry previous;
        private final ContextMap.Entry entry;
        private final Object owner;
        /** Written by the owning task or thread only. */
        private boolean used;

        private Token(ContextVar<T> variable, ContextMap.Entry previous, ContextMap.Entry entry, Object owner) {
            this.variable = variable;
            this.previous = previous;
            this.entry = entry;
            this.owner = owner;
        }

        /** The variable this token resets. */
        public ContextVar<T> variable() {
            return variable;
        }
    }

    /** A scoped value binding; {@link #close()} restores the previous value. */
    public final class Binding implements AutoCloseable {
        private final Token<T> token;

        private Binding(Token<T> token) {
            this.token = token;
        }

        /**
         * Restores the previous value.
         *
         * @throws IllegalStateException if an inner binding of this variable is still open
         */
        @Override
        public void close() {
            if (token.used) {
                return;
            }
            if (currentMap().get(ContextVar.this) != token.entry) {
                throw new IllegalStateException("binding of context variable '" + name
                        + "' closed out of order: the variable was set again inside it and not restored;"
                        + " close inner bindings first (use try-with-resources)");
            }
            reset(token);
        }
    }

    static ContextMap currentMap() {
        TaskImpl<?> t = TaskImpl.current();
        return t != null ? t.context : NON_TASK.get();
    }

    private static void setCurrentMap(ContextMap m) {
        TaskImpl<?> t = TaskImpl.current();
        if (t != null) {
            t.context = m;
        } else {
            NON_TASK.set(m);
        }
    }

    private static Object owner() {
        TaskImpl<?> t = TaskImpl.current();
        return t != null ? t : Thread.currentThread();
    }

    @Override
    public String toString() {
        return "ContextVar[" + name + "]";
    }
}
