package dev.weft.internal.stack;

/**
 * The size of an interpreted HotSpot frame and of the stack chunk a virtual thread's frozen frames live in, on
 * x86_64, from a method's {@code max_locals} and {@code max_stack}.
 *
 * <h2>Where the constants come from</h2>
 * <ul>
 * <li>{@link #INTERPRETER_FIXED_WORDS}: HotSpot's x86 interpreter frame layout ({@code frame_x86.hpp}): return
 *     address, saved frame pointer, sender sp, last sp, {@code Method*}, mirror, method data pointer, constant
 *     pool cache, locals pointer, bytecode pointer, initial expression stack pointer: 11 words. Checked by a
 *     calibration run ({@code StackSoundnessTest} checks the bound against frozen frames; docs/design.md has the
 *     calibration): under {@code -Xint} a frozen frame is exactly
 *     {@code 11 + (max_locals - argument slots) + expression stack depth at the call} words.</li>
 * <li>A frame's parameters live on its caller's expression stack, so a method's frame is charged its locals
 *     beyond its parameters plus its whole {@code max_stack}; the entry's own parameters (on the stack of the
 *     code that calls it) are added once.</li>
 * <li>Monitors: a {@code BasicObjectLock} (2 words) per monitor, one for a {@code synchronized} method and one
 *     per {@code monitorenter} in its code (an upper bound on their nesting under structured locking).</li>
 * <li>One word more for a method with {@code invokedynamic} or a signature-polymorphic call (the appendix the
 *     interpreter pushes).</li>
 * <li>The chunk ({@code jdk.internal.vm.StackChunk}): 48 bytes of header and fields with compressed oops or
 *     compact headers, 56 without compressed oops (measured with a class histogram); 4 words of metadata beyond
 *     the frames; a bitmap of one bit per heap-oop slot (2 bits a word with compressed oops, 1 without). The
 *     model charges the larger of each, so it holds in all four object layouts.</li>
 * <li>{@link #RUNTIME_FRAME_WORDS}: the frames every task's frozen stack holds besides its own, beneath its entry
 *     (the virtual thread's {@code run}, the continuation's enter frames, Weft's runner) and above its last frame
 *     (the park down to the continuation's yield). The analysis cannot bound them from class files (the JDK's park
 *     reaches undeclared recursions through its scheduler), so they are a constant, calibrated: a task that parks
 *     at its entry measured 209 words (C2: 193) on a JDK virtual thread and 239 as a Weft task under
 *     {@code -Xint}; {@code StackSoundnessTest} checks the constant against that baseline in every mode.</li>
 * <li>The heap of the chunks ({@link #chunkHeapBytes}): HotSpot freezes into the tail chunk when its free room
 *     holds the frames to freeze and the collector has not seen it, and otherwise allocates a new chunk of exactly
 *     those frames, keeping the old one (and the room its thawed frames left) while it holds a frame; a thaw takes
 *     one or two frames from the tail chunk only ({@code continuationFreezeThaw.cpp}: {@code finalize_freeze},
 *     {@code thaw_slow}). So every chunk holds at least one frame of the stack, a chunk above another starts at
 *     least one frame (11 words) higher, and each is at most the stack above its start when it was made: chunk
 *     {@code i} (from the bottom) is at most {@code F - 11 i} words of a stack bounded by {@code F}. Each chunk
 *     also carries its metadata and up to {@link #CHUNK_LOCKSTACK_WORDS} words of the thread's lock stack.</li>
 * </ul>
 *
 * <h2>Thread safety</h2>
 * Stateless.
 */
public final class FrameModel {
    /** Bytes in a stack word. */
    public static final int WORD_BYTES = 8;
    /** Fixed words of an interpreted frame on x86_64 (see the class comment). */
    public static final int INTERPRETER_FIXED_WORDS = 11;
    /** Words of one monitor slot ({@code BasicObjectLock}: the displaced header and the object). */
    public static final int MONITOR_WORDS = 2;
    /** Bytes of a stack chunk's header and fields, the larger of the object layouts. */
    public static final int CHUNK_HEADER_BYTES = 56;
    /** Words a chunk holds beyond its frames (return address and frame pointer of the bottom frame, arguments). */
    public static final int CHUNK_METADATA_WORDS = 4;

    /**
     * Words of the runtime's frames on every task's frozen stack, beneath its entry and above its last frame
     * (see the class comment): the calibrated 239 words of a Weft task under {@code -Xint}, rounded up to 256.
     */
    public static final int RUNTIME_FRAME_WORDS = 256;
    /** Words of the thread's lock stack a chunk holds when frames with monitors freeze ({@code LockStack::CAPACITY}). */
    public static final int CHUNK_LOCKSTACK_WORDS = 8;

    private FrameModel() {}

    /** Whether the running JVM is the one the constants describe (HotSpot on x86_64). */
    public static boolean supported() {
        String arch = System.getProperty("os.arch", "");
        String vm = System.getProperty("java.vm.name", "");
        return (arch.equals("amd64") || arch.equals("x86_64")) && (vm.contains("HotSpot") || vm.startsWith("OpenJDK"));
    }

    /** Why the running JVM is not supported, naming it. */
    public static String unsupportedReason() {
        return "stack bounds are calibrated for HotSpot on x86_64; this JVM is " + System.getProperty("java.vm.name")
                + " on " + System.getProperty("os.arch") + " (its interpreter frame layout differs)";
    }

    /** The words of one interpreted frame of a method. */
    public static long frameWords(int maxLocals, int maxStack, int argSlots, int monitors, boolean appendix) {
        assert maxLocals >= argSlots || maxLocals == 0 : "max_locals " + maxLocals + " < argument slots " + argSlots;
        return INTERPRETER_FIXED_WORDS + Math.max(0, maxLocals - argSlots) + maxStack + (long) MONITOR_WORDS * monitors
                + (appendix ? 1 : 0);
    }

    /**
     * The most chunks a stack of at most {@code frameWords} words can be frozen into: one per 11 words (each chunk
     * holds at least one frame, and a frame is at least {@link #INTERPRETER_FIXED_WORDS} words).
     */
    public static long chunksMax(long frameWords) {
        return Math.max(1, (frameWords + INTERPRETER_FIXED_WORDS - 1) / INTERPRETER_FIXED_WORDS);
    }

    /**
     * The bound on the heap of every chunk a stack of at most {@code frameWords} words is frozen into, over any
     * sequence of freezes and thaws: {@code sum over i < chunksMax of chunkBytes(frameWords - 11 i)}, each chunk
     * with its lock stack (see the class comment). In closed form, each chunk's bitmap rounded up by a word: an
     * analysis of thousands of entries computes it for each, and an unbounded one's lower estimate can be megabytes.
     */
    public static long chunkHeapBytes(long frameWords) {
        assert frameWords >= 0 : frameWords;
        long n = chunksMax(frameWords);
        long perChunk = CHUNK_METADATA_WORDS + CHUNK_LOCKSTACK_WORDS;
        // sum over i < n of (frameWords - 11 i + perChunk) words
        long words = n * (frameWords + perChunk) - INTERPRETER_FIXED_WORDS * (n * (n - 1) / 2);
        // each chunk: its header, its words, and a bitmap of 2 bits a word (at most words / 4 + 8 bytes)
        long total = n * (CHUNK_HEADER_BYTES + 8) + words * WORD_BYTES + (words + 3) / 4;
        assert total >= chunkBytes(frameWords) : total;
        return total;
    }

    /** The bytes of a stack chunk holding {@code frameWords} words of frames: header, frames, metadata, bitmap. */
    public static long chunkBytes(long frameWords) {
        long words = frameWords + CHUNK_METADATA_WORDS;
        long bitmapBytes = ((words * 2 + 63) / 64) * 8; // 2 bits a word: one per compressed-oop slot
        long total = CHUNK_HEADER_BYTES + words * WORD_BYTES + bitmapBytes;
        return (total + 7) & ~7L;
    }
}
