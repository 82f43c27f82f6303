package dev.weft.agent.internal;

import dev.weft.Weft;
import dev.weft.internal.softlimit.SoftLimitRun;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.Arrays;

/**
 * The child-JVM side of {@code weft run}: runs an unmodified program's {@code main} as the Weft root task, with an
 * optional deadline, and exits with {@link Weft#exitStatus}: 0, 1 (the program failed), 124 (the deadline
 * passed; cleanup ran) or 130 (Ctrl-C; cleanup ran); under {@code --soft-limit} also 122 ({@link SoftLimitRun}).
 * A program that calls {@code System.exit} keeps its status; 2 if the main class cannot be started.
 *
 * <p>Usage (built by {@code dev.weft.cli.RunCommand}): {@code RunMain [--timeout-ns N] MAIN [ARGS...]}.
 */
public final class RunMain {
    private RunMain() {}

    public static void main(String[] args) throws Throwable {
        int i = 0;
        Weft.Options options = Weft.options().name("main");
        if (args.length > 1 && args[0].equals("--timeout-ns")) {
            options.timeout(Duration.ofNanos(Long.parseLong(args[1])));
            i = 2;
        }
        if (i >= args.length) {
            System.err.println("weft run: no main class given");
            System.exit(2);
        }
        String mainClass = args[i];
        String[] programArgs = Arrays.copyOfRange(args, i + 1, args.length);
        MethodHandle main = findMain(mainClass);
        // like Weft.exitStatus, plus status 122 and a report after a memory error
        int status = SoftLimitRun.exitStatus(() -> Weft.run(options, () -> {
            if (main.type().parameterCount() == 0) {
                main.invoke();
            } else {
                main.invoke(programArgs);
            }
            return null;
        }));
        System.exit(status);
    }

    private static MethodHandle findMain(String mainClass) {
        Class<?> c;
        try {
            c = Class.forName(mainClass, false, ClassLoader.getSystemClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            System.err.println("weft run: cannot load main class " + mainClass + " (" + e + "); check -cp and the"
                    + " class name (fully qualified, with dots)");
            System.exit(2);
            throw new AssertionError(e);
        }
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        try {
            return lookup.findStatic(c, "main", MethodType.methodType(void.class, String[].class));
        } catch (ReflectiveOperationException e) {
            try {
                return lookup.findStatic(c, "main", MethodType.methodType(void.class));
            } catch (ReflectiveOperationException e2) {
                System.err.println("weft run: " + mainClass + " has no public static void main(String[]) or main();"
                        + " weft run starts a static main method");
                System.exit(2);
                throw new AssertionError(e2);
            }
        }
    }
}
