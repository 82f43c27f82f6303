package dev.weft.internal.task;

import java.util.function.Supplier;

/**
 * The one place where the runtime and its extensions (memory budgets) meet, both registered explicitly: the
 * runtime installs how to find the current task ({@link #installTasks}, when a runtime is constructed: no task
 * exists before), and an extension installs itself when it is first used ({@link #install}), and observes
 * mounts only while it needs to ({@link #observeMounts}).
 *
 * <p>Things that don't work: the runtime installing the memory extension (from a static initializer of the
 * task class, as Weft did): the runtime then names memory and memory names the runtime, one package cycle, and
 * whether memory works depends on which class happened to load first. Nor can the runtime look the extension
 * up: {@code ServiceLoader} wants a public provider class with a public constructor, which in
 * {@code dev.weft.memory} is API and anywhere else cannot reach memory's package-private state (and, on the
 * class path, a {@code META-INF/services} file besides). Solution: the runtime knows only this package; memory,
 * built on the runtime's public API and on this package, registers itself.
 *
 * <h2>Thread safety</h2>
 * Registrations are volatile writes, reads are volatile reads (one on every mount: {@link #mountObserver()}).
 */
public final class TaskHooks {
    private TaskHooks() {}

    /** Finds the current thread's task. Written by the runtime (each runtime, the same); read by extensions. */
    private static volatile Supplier<? extends TaskHandle> tasks;
    /** The extension, or null. Written once (under the class lock); read by tasks as they end. */
    private static volatile TaskExtension extension;
    /** The mount observer, or null. Written by the extension; read by every mount. */
    private static volatile TaskExtension.MountObserver<?> mountObserver;

    /** Installs how to find the current task; called by the runtime when a runtime is constructed. */
    public static void installTasks(Supplier<? extends TaskHandle> currentTask) {
        tasks = currentTask;
    }

    /** The current thread's task, or null (not a Weft task's thread, or no runtime was ever constructed). */
    public static TaskHandle currentTask() {
        Supplier<? extends TaskHandle> t = tasks;
        return t == null ? null : t.get();
    }

    /**
     * Registers the extension; again with the same one does nothing.
     *
     * @throws IllegalStateException if another extension is registered (there is one slot per task)
     */
    public static synchronized void install(TaskExtension e) {
        if (extension != null && extension != e) {
            throw new IllegalStateException("a task extension is already installed (" + extension
                    + "); the runtime keeps one attachment per task, so only one extension may be installed");
        }
        extension = e;
    }

    /** The registered extension, or null. */
    public static TaskExtension extension() {
        return extension;
    }

    /** Starts ({@code observer}) or stops ({@code null}) observing mounts. */
    public static void observeMounts(TaskExtension.MountObserver<?> observer) {
        mountObserver = observer;
    }

    /** The mount observer, or null (the common case: one volatile read per mount). */
    public static TaskExtension.MountObserver<?> mountObserver() {
        return mountObserver;
    }
}
