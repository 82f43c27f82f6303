package dev.weft.internal.budget;

/**
 * What an {@link OutOfMemoryError} ran out of, read from the JVM's message: the Java heap, direct buffer memory,
 * metaspace, native threads, or something else. Reports and messages name it, so that direct-memory exhaustion
 * is not reported as "ran out of heap", and give the fix that belongs to it.
 *
 * {@snippet class=dev.weft.internal.budget.BudgetInternalsSnippets region=outOfMemoryKind}
 *
 * <h2>Thread safety</h2>
 * Immutable. {@link #of} allocates nothing (it may run with the heap exhausted): it matches the JVM's fixed
 * messages as they are.
 */
public enum OutOfMemoryKind {
    /** "Java heap space", "GC overhead limit exceeded", "Requested array size exceeds VM limit". */
    JAVA_HEAP("Java heap", "bound what the task holds with a MemoryBudget, or raise the heap (-Xmx, weft run --heap)"),
    /** "Cannot reserve N bytes of direct buffer memory". */
    DIRECT_BUFFER("direct buffer memory", "release direct ByteBuffers sooner (or pool them), or raise"
            + " -XX:MaxDirectMemorySize (weft run --soft-limit sets it to the soft limit)"),
    /** "Metaspace", "Compressed class space". */
    METASPACE("metaspace", "load fewer classes (a class loader leak?), or raise -XX:MaxMetaspaceSize"),
    /** "unable to create native thread". */
    NATIVE_THREAD("native threads", "start fewer platform threads (virtual threads or a pool), or raise the"
            + " process's thread limit (ulimit -u) or its memory"),
    /** Anything else (the message is in the cause). */
    OTHER("memory", "see the OutOfMemoryError's message");

    private final String what;
    private final String fix;

    OutOfMemoryKind(String what, String fix) {
        this.what = what;
        this.fix = fix;
    }

    /** The kind of {@code oom}, from its message; {@link #JAVA_HEAP} for no message (the JVM's preallocated one). */
    public static OutOfMemoryKind of(OutOfMemoryError oom) {
        String m = oom.getMessage();
        if (m == null || m.startsWith("Java heap space") || m.startsWith("GC overhead limit exceeded")
                || m.startsWith("Requested array size exceeds VM limit")) {
            return JAVA_HEAP;
        }
        if (m.contains("direct buffer memory")) {
            return DIRECT_BUFFER;
        }
        if (m.startsWith("Metaspace") || m.startsWith("Compressed class space")) {
            return METASPACE;
        }
        if (m.contains("unable to create native thread") || m.contains("unable to create new native thread")) {
            return NATIVE_THREAD;
        }
        return OTHER;
    }

    /** What ran out, for a sentence: "ran out of " + what(). */
    public String what() {
        return what;
    }

    /** The fix, for a sentence. */
    public String fix() {
        return fix;
    }
}
