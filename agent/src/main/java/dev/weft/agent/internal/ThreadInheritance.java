package dev.weft.agent.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.zip.CRC32;
import dev.weft.internal.cancel.ProgramCancel;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandles;
import java.security.ProtectionDomain;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Threads an unmodified program creates from {@code main} get the daemon status, priority and thread group they get on
 * a plain JVM, where {@code main} runs on the non-daemon platform thread "main".
 *
 * <p>Why: under {@code weft run}, {@code main} is a Weft task, a virtual thread, and {@code new Thread(...)} inherits
 * from its creator: every thread the program created became a daemon thread in the "VirtualThreads" group, so the JVM
 * no longer waited for them and a library's test of its own thread factory failed. Things that don't work: setting
 * the daemon status after construction at the program's {@code new Thread} sites overrides a subclass constructor's
 * own {@code setDaemon(true)} and misses the threads the JDK's builders and factories create; a helper class on the
 * boot class path costs the class-data sharing of every class loaded after it (the JVM says so at startup). Solution:
 * a small class {@value #PARENTS_NAME}, defined in {@code java.lang} itself through a private lookup (Weft opens
 * {@code java.lang} anyway), and, where {@code java.lang.Thread}'s constructor reads its parent's group, priority and
 * daemon status (and only there: thread locals and the context class loader still come from the real creator), the
 * parent goes through its {@code parentFor}, which answers the launcher's main thread for a Weft task. {@code Thread}
 * is retransformed once.
 *
 * <p>Feature-detected: on a JDK whose constructor has another shape nothing is changed, and a warning says so.
 */
public final class ThreadInheritance {
    private ThreadInheritance() {}

    /** The instrumentation the agent was started with; written once by the agent as it starts. */
    private static volatile Instrumentation instrumentation;

    /** The constructor every platform thread goes through. */
    static final String CTOR_DESC = "(Ljava/lang/ThreadGroup;Ljava/lang/String;ILjava/lang/Runnable;J)V";

    /** The class defined in {@code java.lang} (package-private there). */
    static final String PARENTS_NAME = "java.lang.WeftThreadParents";

    private static final ClassDesc THREAD = ClassDesc.of("java.lang.Thread");
    private static final ClassDesc PREDICATE = ClassDesc.of("java.util.function.Predicate");
    private static final ClassDesc PARENTS = ClassDesc.of(PARENTS_NAME);
    private static final MethodTypeDesc PARENT_FOR = MethodTypeDesc.of(THREAD, THREAD);
    /** The parent's getters the constructor calls for what it inherits. */
    private static final Set<String> INHERITED = Set.of("getThreadGroup", "getPriority", "isDaemon");

    /** The folder of the agent's cache ({@code cache=}), or null; written once by the agent as it starts. */
    private static volatile Path cacheDir;

    /** Called by the agent as it starts. */
    public static void init(Instrumentation inst) {
        instrumentation = inst;
    }

    /**
     * Where the patched {@code Thread} is kept across runs: the cache's folder for this agent and this JDK
     * ({@code null}: patched at every start). Things that don't
     * work: building {@value #PARENTS_NAME} and patching {@code Thread} at every start, with the JDK's class-file
     * library uncompiled: 14-23 ms of a warm {@code weft run}. Solution: both class files kept in one file beside the
     * compiled classes, used when the JDK hands the same {@code Thread} bytes (compared exactly).
     */
    public static void cacheIn(Path dir) {
        cacheDir = dir;
    }

    /** The cached class files, {@code parents, Thread before, Thread after}, or null. */
    private static byte[][] cached(Path file) {
        if (file == null) {
            return null;
        }
        byte[] data;
        try (java.io.FileInputStream in = new java.io.FileInputStream(file.toString())) {
            data = in.readAllBytes();
        } catch (IOException | RuntimeException missing) {
            return null;
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(data);
            CRC32 crc = new CRC32();
            crc.update(data, 0, data.length - 8);
            if (data.length < 20 || b.getLong(data.length - 8) != crc.getValue()) {
                return null;
            }
            byte[][] parts = new byte[3][];
            for (int i = 0; i < 3; i++) {
                parts[i] = new byte[b.getInt()];
                b.get(parts[i]);
            }
            return parts;
        } catch (RuntimeException bad) {
            return null;
        }
    }

    private static void store(Path file, byte[] parents, byte[] before, byte[] after) {
        if (file == null) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate(12 + parents.length + before.length + after.length + 8);
        for (byte[] part : new byte[][] {parents, before, after}) {
            b.putInt(part.length).put(part);
        }
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, b.position());
        b.putLong(crc.getValue());
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
            Files.write(tmp, b.array());
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            // not kept: the next run patches again
        }
    }

    /**
     * Makes Weft tasks create threads as {@code launcherMain} would. Prints a warning and changes nothing when that
     * is impossible here (no agent, {@code java.lang} not open, another JDK).
     */
    public static void fromLauncher(Thread launcherMain) {
        Instrumentation inst = instrumentation;
        if (inst == null) {
            return; // RunMain without the agent (tests): nothing to patch
        }
        try {
            Path dir = cacheDir; // the fingerprint's folder: this agent, this JDK
            Path file = dir == null ? null : dir.resolve("java.lang.Thread");
            byte[][] kept = cached(file);
            byte[] parentsBytes = kept != null ? kept[0] : parentsClass();
            MethodHandles.Lookup inLang = MethodHandles.privateLookupIn(Thread.class, MethodHandles.lookup());
            Class<?> parents = inLang.defineClass(parentsBytes);
            Predicate<Thread> tasks = ProgramCancel::isWeftTask;
            inLang.findStaticVarHandle(parents, "standIn", Thread.class).setVolatile(launcherMain);
            inLang.findStaticVarHandle(parents, "replaced", Predicate.class).setVolatile(tasks);
            int[] patched = new int[1];
            ClassFileTransformer patch = new ClassFileTransformer() {
                @Override
                public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
                        ProtectionDomain pd, byte[] bytes) {
                    if (redefined != Thread.class) {
                        return null;
                    }
                    try {
                        if (kept != null && Arrays.equals(kept[1], bytes)) {
                            patched[0] = INHERITED.size();
                            return kept[2];
                        }
                        byte[] out = patch(bytes, patched);
                        if (patched[0] == INHERITED.size()) {
                            store(file, parentsBytes, bytes, out);
                        }
                        return patched[0] == INHERITED.size() ? out : null;
                    } catch (Throwable t) {
                        System.err.println("[weft-agent] warning: cannot patch java.lang.Thread (" + t + ")");
                        return null;
                    }
                }
            };
            inst.addTransformer(patch, true);
            try {
                inst.retransformClasses(Thread.class);
            } finally {
                inst.removeTransformer(patch);
            }
            if (patched[0] != INHERITED.size()) {
                System.err.println("[weft-agent] warning: java.lang.Thread's constructor has an unknown shape ("
                        + patched[0] + " of " + INHERITED.size() + " reads found); threads created from main are"
                        + " daemon threads in the VirtualThreads group, unlike on a plain JVM");
            }
        } catch (Throwable t) {
            if (t instanceof VirtualMachineError v) {
                throw v;
            }
            System.err.println("[weft-agent] warning: threads created from main will be daemon threads in the"
                    + " VirtualThreads group, unlike on a plain JVM: " + t);
        }
    }

    /**
     * The class file of {@value #PARENTS_NAME}:
     * {@snippet class=dev.weft.agent.internal.ThreadInheritanceSnippets region=parents}
     */
    static byte[] parentsClass() {
        return ClassFile.of().build(PARENTS, cb -> {
            cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SUPER);
            cb.withField("standIn", THREAD, ClassFile.ACC_STATIC | ClassFile.ACC_VOLATILE);
            cb.withField("replaced", PREDICATE, ClassFile.ACC_STATIC | ClassFile.ACC_VOLATILE);
            cb.withMethodBody("parentFor", PARENT_FOR, ClassFile.ACC_STATIC, code -> {
                Label keep = code.newLabel();
                code.getstatic(PARENTS, "standIn", THREAD).ifnull(keep);
                code.getstatic(PARENTS, "replaced", PREDICATE).ifnull(keep);
                code.aload(0).invokevirtual(THREAD, "isVirtual", MethodTypeDesc.of(ConstantDescs.CD_boolean))
                        .ifeq(keep);
                code.getstatic(PARENTS, "replaced", PREDICATE).aload(0)
                        .invokeinterface(PREDICATE, "test",
                                MethodTypeDesc.of(ConstantDescs.CD_boolean, ConstantDescs.CD_Object))
                        .ifeq(keep);
                code.getstatic(PARENTS, "standIn", THREAD).areturn();
                code.labelBinding(keep);
                code.aload(0).areturn();
            });
        });
    }

    /** Rewrites the constructor's reads of its parent; counts them in {@code patched[0]}. */
    static byte[] patch(byte[] threadClass, int[] patched) {
        ClassFile cf = ClassFile.of();
        ClassModel model = cf.parse(threadClass);
        CodeTransform reads = (builder, element) -> {
            if (element instanceof InvokeInstruction inv && inv.opcode() == Opcode.INVOKEVIRTUAL
                    && inv.owner().asSymbol().equals(THREAD) && INHERITED.contains(inv.name().stringValue())
                    && inv.typeSymbol().parameterCount() == 0) {
                builder.invokestatic(PARENTS, "parentFor", PARENT_FOR); // parent -> the parent to inherit from
                patched[0]++;
            }
            builder.with(element);
        };
        ClassTransform t = ClassTransform.transformingMethodBodies(
                (MethodModel m) -> m.methodName().equalsString(ConstantDescs.INIT_NAME)
                        && m.methodType().equalsString(CTOR_DESC), reads);
        return cf.transformClass(model, t);
    }
}
