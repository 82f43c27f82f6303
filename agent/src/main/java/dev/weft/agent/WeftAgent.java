package dev.weft.agent;

import dev.weft.agent.internal.AgentOptions;
import dev.weft.agent.internal.AgentStatistics;
import dev.weft.agent.internal.AttachRequest;
import dev.weft.agent.internal.CheckpointCompiler;
import dev.weft.agent.internal.Report;
import dev.weft.agent.internal.ThreadInheritance;
import dev.weft.agent.internal.WeftTransformer;
import dev.weft.internal.cancel.AgentChecks;
import java.io.File;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The Weft agent: compiles cancellation points into loop back-edges and the entries of recursive methods (and,
 * where the policy asks, every method entry) of the application's classes as they load, so that code which never
 * calls a Weft checkpoint can still be cancelled, with its {@code finally} blocks and try-with-resources running.
 * Class files of every version are compiled, those older than 50 (no stack maps) too; so are the hidden classes
 * the application defines with {@code Lookup.defineHiddenClass}, which the JVM never shows a transformer (the agent
 * compiles them at the definition's call site).
 *
 * {@snippet class=dev.weft.snippets.AgentSnippets region=options}
 *
 * <p>Options are listed in {@link AgentOptions}; a bad option stops the JVM with a message naming it. The same
 * class serves as {@code Premain-Class} ({@code -javaagent}), {@code Agent-Class} (attach: already-loaded classes
 * are retransformed) and {@code Launcher-Agent-Class} (an executable jar that contains the agent; options then
 * come from the system property {@code weft.agent.options}).
 *
 * <h2>Cancellation</h2>
 * Each compiled check calls {@code dev.weft.abi.AgentHooks.poll()}: one volatile read while no cancellation is
 * pending anywhere; when the current thread is a Weft task in a cancelled scope it throws
 * {@code dev.weft.Cancelled}. Code outside any Weft task is never thrown at. Checks are never placed where the
 * method holds a monitor, nor in {@code synchronized} methods, static initializers, or code annotated
 * {@link dev.weft.Uncancellable}; and a check never throws while any frame holds a monitor or is a static
 * initializer, a class load or the JVM's linking of a call site. Opted-in JDK code may run inside the check itself
 * and inside the agent: such checks return at once. See {@code docs/design.md}, "Compiled cancellation points".
 *
 * <h2>Thread safety</h2>
 * The transformer runs on whatever thread loads a class; it keeps no state across classes except a cache of
 * class-hierarchy readers and the report, both thread-safe.
 */
public final class WeftAgent {
    private WeftAgent() {}

    /** Entry point for {@code -javaagent:weft-agent.jar[=OPTIONS]}. */
    public static void premain(String args, Instrumentation inst) {
        install(args, inst, false);
    }

    /**
     * Entry point for dynamic attach and {@code Launcher-Agent-Class}: also retransforms loaded classes. Options
     * that start with {@code weft-attach:} are a request of {@code weft dump PID} or {@code weft jmx PID}, served
     * without installing anything ({@link AttachRequest}).
     */
    public static void agentmain(String args, Instrumentation inst) {
        if (AttachRequest.matches(args)) {
            AttachRequest.serve(args);
            return;
        }
        install(args, inst, true);
    }

    private static void install(String args, Instrumentation inst, boolean retransformLoaded) {
        ThreadInheritance.init(inst); // weft run's launcher asks it to patch Thread
        if (args == null || args.isBlank()) {
            args = System.getProperty("weft.agent.options");
        }
        AgentOptions options;
        Report report;
        try {
            options = AgentOptions.parse(args);
            report = Report.open(options.report(), System.err);
        } catch (IllegalArgumentException e) {
            System.err.println("[weft-agent] error: " + e.getMessage());
            if (!retransformLoaded) {
                // at startup a throwing premain makes the JVM print "*** java.lang.instrument ASSERTION FAILED ***"
                // and abort natively (status 134): say the one line and exit as for bad usage instead
                System.err.flush();
                Runtime.getRuntime().halt(2);
            }
            throw e;
        }
        Module hookModule = null;
        if (ClassLoader.getSystemResource("dev/weft/Cancellation.class") == null) {
            Path runtime = runtimeJarBesideAgent();
            if (runtime == null) {
                String msg = "dev.weft.Cancellation is not on the class path and no weft-runtime jar lies beside the"
                        + " agent jar; put weft-runtime.jar on the class path (-cp) or next to weft-agent.jar";
                System.err.println("[weft-agent] error: " + msg);
                if (!retransformLoaded) {
                    System.err.flush();
                    Runtime.getRuntime().halt(2);
                }
                throw new IllegalStateException(msg);
            }
            try {
                inst.appendToSystemClassLoaderSearch(new JarFile(runtime.toFile()));
            } catch (IOException e) {
                throw new IllegalStateException("cannot open " + runtime + ": " + e, e);
            }
        }
        if (options.rules().optsInJdk()) {
            hookModule = bootReach(inst, report);
        }
        CheckpointCompiler compiler = CheckpointCompiler.forAgent(options, ownJar());
        ThreadInheritance.cacheIn(compiler.cacheFolder());
        WeftTransformer transformer = new WeftTransformer(compiler, report, inst, hookModule);
        // loads the hooks the transformer calls before it runs (after bootReach: the copy the application links to)
        AgentChecks.exitAgentCode(AgentChecks.enterAgentCode());
        AgentChecks.loadLaterTests();
        AgentChecks.installHiddenClassCompiler(transformer::compileHidden);
        inst.addTransformer(transformer, true);
        AgentStatistics.install(); // the JFR summary event, registered when a recording first runs
        if (retransformLoaded || hookModule != null) {
            retransform(inst, options, report);
        }
    }

    /** Puts the runtime jar on the boot class path so that opted-in JDK classes can call the hook. */
    private static Module bootReach(Instrumentation inst, Report report) {
        URL url = ClassLoader.getSystemResource("dev/weft/Cancellation.class");
        Path jar = url == null ? null : jarOf(url);
        if (jar == null) {
            report.warn("JDK packages were opted in, but the Weft runtime is not a jar (" + url + "); JDK classes"
                    + " stay uninstrumented. Put weft-runtime.jar on the class path.");
            return null;
        }
        try {
            inst.appendToBootstrapClassLoaderSearch(new JarFile(jar.toFile()));
            return Class.forName("dev.weft.Cancellation", false, null).getModule();
        } catch (IOException | ClassNotFoundException e) {
            report.warn("cannot put " + jar + " on the boot class path (" + e + "); JDK classes stay uninstrumented");
            return null;
        }
    }

    private static void retransform(Instrumentation inst, AgentOptions options, Report report) {
        List<Class<?>> targets = new ArrayList<>();
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (!inst.isModifiableClass(c) || c.isHidden() || c.isArray() || c.isPrimitive()) {
                continue;
            }
            ClassLoader l = c.getClassLoader();
            boolean application = l != null && l != ClassLoader.getPlatformClassLoader();
            if (options.rules().classPolicy(c.getName(), application).instruments()
                    || options.rules().anyMethodRuleInstruments(c.getName())) {
                targets.add(c);
            }
        }
        for (Class<?> c : targets) {
            try {
                inst.retransformClasses(c);
            } catch (Throwable t) {
                if (t instanceof VirtualMachineError v) {
                    throw v;
                }
                report.warn("cannot retransform already-loaded " + c.getName() + " (" + t + "); it stays unchanged");
            }
        }
    }

    /** The agent's jar, or {@code null} when it runs from a folder of classes. */
    private static Path ownJar() {
        try {
            Path p = Path.of(WeftAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(p) ? p : null;
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    private static Path runtimeJarBesideAgent() {
        URL self = WeftAgent.class.getProtectionDomain().getCodeSource().getLocation();
        try {
            Path dir = Path.of(self.toURI()).getParent();
            if (dir == null || !Files.isDirectory(dir)) {
                return null;
            }
            try (Stream<Path> s = Files.list(dir)) {
                return s.filter(p -> p.getFileName().toString().matches("weft-runtime.*\\.jar")
                        && !p.getFileName().toString().contains("sources")).findFirst().orElse(null);
            }
        } catch (URISyntaxException | IOException | RuntimeException e) {
            return null;
        }
    }

    private static Path jarOf(URL resource) {
        String s = resource.toString();
        if (!s.startsWith("jar:file:")) {
            return null;
        }
        try {
            return Path.of(new URI(s.substring(4, s.indexOf("!/"))));
        } catch (URISyntaxException | IllegalArgumentException e) {
            return new File(s.substring(9, s.indexOf("!/"))).toPath();
        }
    }
}
