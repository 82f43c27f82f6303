package dev.weft.otel;

import dev.weft.ContextVar;
import dev.weft.Weft;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextStorage;
import io.opentelemetry.context.ContextStorageProvider;
import io.opentelemetry.context.Scope;

/**
 * OpenTelemetry's current {@link Context} kept in Weft's task context: inside a Weft task, the context a span made
 * current ({@code span.makeCurrent()}) is the task's, on whatever carrier it runs, after {@link Weft#moveTo}, and in
 * the tasks it spawns from then on (each child starts with the parent's current context at spawn: a span started in
 * a parent is current in its children, and their own spans do not leak back). Outside tasks, the storage is
 * OpenTelemetry's own thread-local one.
 *
 * {@snippet class=dev.weft.otel.Snippets region=spans}
 *
 * <p>Installed through {@link java.util.ServiceLoader}: with {@code weft-otel} on the class path and no other
 * {@link ContextStorageProvider}, OpenTelemetry uses it; with several, choose it with
 * {@code -Dio.opentelemetry.context.contextStorageProvider=dev.weft.otel.WeftContextStorageProvider}.
 *
 * <h2>Exceptions</h2>
 * Closing a {@link Scope} in another task than the one that attached it throws {@link IllegalStateException} (Weft's
 * context tokens are the task's own).
 *
 * <h2>Thread safety</h2>
 * Any thread; each task sees only its own current context.
 */
public final class WeftContextStorageProvider implements ContextStorageProvider {
    /** Public, no arguments: for {@link java.util.ServiceLoader}. */
    public WeftContextStorageProvider() {}

    @Override
    public ContextStorage get() {
        return new TaskStorage(ContextStorage.defaultStorage());
    }

    /** The storage: a context variable in tasks, the default (thread-local) storage elsewhere. */
    static final class TaskStorage implements ContextStorage {
        /** The task's current OpenTelemetry context; null is the root. Read and written by the task's thread. */
        private static final ContextVar<Context> CURRENT = ContextVar.of("weft.otel.context");

        private final ContextStorage threads;

        TaskStorage(ContextStorage threads) {
            this.threads = threads;
        }

        @Override
        public Scope attach(Context toAttach) {
            if (!Weft.inTask()) {
                return threads.attach(toAttach);
            }
            if (toAttach == null || toAttach == CURRENT.get()) {
                return Scope.noop();
            }
            ContextVar.Token<Context> token = CURRENT.set(toAttach);
            return () -> CURRENT.reset(token);
        }

        @Override
        public Context current() {
            if (!Weft.inTask()) {
                return threads.current();
            }
            return CURRENT.get();
        }

        @Override
        public Context root() {
            return threads.root();
        }
    }
}
