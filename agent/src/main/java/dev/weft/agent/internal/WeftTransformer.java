package dev.weft.agent.internal;

import dev.weft.internal.cancel.AgentChecks;
import java.lang.classfile.ClassFile;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandles;
import java.security.ProtectionDomain;
import java.util.Map;
import java.util.Set;

/**
 * The agent's {@link ClassFileTransformer}: selects classes, runs the {@link CheckpointCompiler}, and never lets a
 * failure escape: a class it cannot transform is loaded unchanged with one warning. It also compiles the hidden
 * classes the application defines ({@link #compileHidden}), which the JVM never passes to a transformer.
 *
 * <p>Boot and platform classes a rule opts in reference {@code dev.weft.Cancellation} from a named module; the
 * transformer makes that module read the unnamed module of the boot loader, where the agent put the runtime jar.
 *
 * <p>The transformer is never re-entered on one thread. With JDK packages opted in, the compiler's own code
 * ({@code java.lang.classfile} over {@code java.util} collections) may load a class, whose transform would then
 * start inside the first: it is loaded unchanged and reported as {@code skipped} with the reason (the classes the
 * compiler uses are nearly all loaded before the agent starts; none was loaded so in the end-to-end runs with
 * {@code java.util.**} opted in). While it transforms on
 * a Weft task's thread, the checks compiled into the JDK code it runs are quiet ({@link AgentChecks#enterAgentCode}):
 * a cancel pending in the task is never thrown inside the transformer, which would load the class unchanged.
 *
 * <h2>Thread safety</h2>
 * Any thread may transform; the only per-thread state is the re-entry mark.
 */
public final class WeftTransformer implements ClassFileTransformer {
    private final CheckpointCompiler compiler;
    private final Report report;
    private final Instrumentation inst; // null in build-time use
    private final Module hookModule;    // module of dev.weft.Cancellation as JDK classes see it; null: no boot reach
    /** The class this thread is transforming, or null: the re-entry mark. Each thread its own. */
    private final ThreadLocal<String> transforming = new ThreadLocal<>();

    public WeftTransformer(CheckpointCompiler compiler, Report report, Instrumentation inst, Module hookModule) {
        this.compiler = compiler;
        this.report = report;
        this.inst = inst;
        this.hookModule = hookModule;
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String internalName, Class<?> redefined,
                            ProtectionDomain domain, byte[] classBytes) {
        return transform(module, loader, internalName, classBytes, false);
    }

    /**
     * The bytes of a hidden class that {@code lookup} is about to define, with checks compiled in, or {@code null}
     * to define them as they are ({@code AgentChecks.installHiddenClassCompiler} takes this method). Never throws.
     */
    public byte[] compileHidden(MethodHandles.Lookup lookup, byte[] classBytes) {
        String internalName;
        Class<?> host;
        try {
            internalName = ClassFile.of().parse(classBytes).thisClass().asInternalName();
            host = lookup.lookupClass();
        } catch (Throwable t) {
            if (t instanceof VirtualMachineError v && !(t instanceof StackOverflowError)) {
                throw v;
            }
            return null; // not a class file: the definition rejects it as it would have
        }
        return transform(host.getModule(), host.getClassLoader(), internalName, classBytes, true);
    }

    private byte[] transform(Module module, ClassLoader loader, String internalName, byte[] classBytes,
                             boolean hidden) {
        if (internalName == null) {
            return null;
        }
        String className = internalName.replace('/', '.');
        if (PolicyRules.refusalReason(className) != null) {
            return null;
        }
        boolean application = isApplicationLoader(loader);
        PolicyRules rules = compiler.options().rules();
        if (!rules.classPolicy(className, application).instruments() && !rules.anyMethodRuleInstruments(className)) {
            return null;
        }
        String outer = transforming.get();
        if (outer != null) {
            report.skipped(className, new CheckpointCompiler.Result(null, rules.classPolicy(className, application)
                    .toString(), "loaded while the agent was transforming " + outer + " (the agent's own code needed"
                    + " it); loaded unchanged"));
            return null;
        }
        transforming.set(className);
        boolean quiet = AgentChecks.enterAgentCode();
        try {
            if (!application) {
                if (hookModule == null) {
                    report.unchanged(className, new IllegalStateException("JDK classes need the runtime on the boot"
                            + " class path, which the agent could not arrange"));
                    return null;
                }
                if (module != null && module.isNamed() && !module.canRead(hookModule)) {
                    inst.redefineModule(module, Set.of(hookModule), Map.of(), Map.of(), Set.of(), Map.of());
                }
            }
            long startNs = System.nanoTime();
            CheckpointCompiler.Result r = compiler.compile(classBytes, loader, application);
            AgentStatistics.TRANSFORM_NS.add(System.nanoTime() - startNs);
            if (hidden) {
                r = new CheckpointCompiler.Result(r.bytes(), r.policy(), "hidden-class " + r.detail());
            }
            if (r.bytes() == null) {
                report.skipped(className, r);
                return null;
            }
            report.instrumented(className, r);
            return r.bytes();
        } catch (Throwable t) {
            if (t instanceof VirtualMachineError v && !(t instanceof StackOverflowError)) {
                throw v;
            }
            report.unchanged(className, t);
            return null;
        } finally {
            AgentChecks.exitAgentCode(quiet);
            transforming.remove();
        }
    }

    static boolean isApplicationLoader(ClassLoader loader) {
        return loader != null && loader != ClassLoader.getPlatformClassLoader();
    }
}
