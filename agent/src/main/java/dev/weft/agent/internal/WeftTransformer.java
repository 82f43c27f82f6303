package dev.weft.agent.internal;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.Map;
import java.util.Set;

/**
 * The agent's {@link ClassFileTransformer}: selects classes, runs the {@link CheckpointCompiler}, and never lets a
 * failure escape: a class it cannot transform is loaded unchanged with one warning.
 *
 * <p>Boot and platform classes a rule opts in reference {@code dev.weft.Cancellation} from a named module; the
 * transformer makes that module read the unnamed module of the boot loader, where the agent put the runtime jar.
 */
public final class WeftTransformer implements ClassFileTransformer {
    private final CheckpointCompiler compiler;
    private final Report report;
    private final Instrumentation inst; // null in build-time use
    private final Module hookModule;    // module of dev.weft.Cancellation as JDK classes see it; null: no boot reach

    public WeftTransformer(CheckpointCompiler compiler, Report report, Instrumentation inst, Module hookModule) {
        this.compiler = compiler;
        this.report = report;
        this.inst = inst;
        this.hookModule = hookModule;
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String internalName, Class<?> redefined,
                            ProtectionDomain domain, byte[] classBytes) {
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
            CheckpointCompiler.Result r = compiler.compile(classBytes, loader, application);
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
        }
    }

    static boolean isApplicationLoader(ClassLoader loader) {
        return loader != null && loader != ClassLoader.getPlatformClassLoader();
    }
}
