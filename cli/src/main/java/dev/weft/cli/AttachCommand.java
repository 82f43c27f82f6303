package dev.weft.cli;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * {@code weft dump [--json] PID} and {@code weft jmx PID}: ask a running Weft program, from another terminal, for
 * its task tree or to register its MBeans.
 *
 * <p>Usage: {@code ./weft dump PID} (the text dump: tasks, loops, states, cancel scopes, where each task
 * waits), {@code ./weft dump --json PID} (the JSON dump, a superset of jcmd's {@code Thread.dump_to_file
 * -format=json}), {@code ./weft jmx PID} (registers the {@code dev.weft} MBeans in it; then {@code jconsole PID}
 * shows them). {@code ObservabilityCheck} runs each against a live program.
 *
 * @implNote The attach API ({@code jdk.attach}) loads the Weft agent jar into the program with options
 * {@code weft-attach:ACTION:FILE}; its {@code agentmain} writes the answer into FILE (in a folder only this user can
 * read) and returns, and this command prints it. Nothing listens in the program beforehand: the JVM starts its attach
 * listener when the first request comes. The program must run with the Weft runtime on its class path (as under
 * {@code weft run}); the JDK prints a warning about a dynamically loaded agent in the program unless it runs with
 * {@code -XX:+EnableDynamicAgentLoading} ({@code weft run} passes it).
 */
final class AttachCommand {
    private AttachCommand() {}

    static final String DUMP_USAGE = """
            usage: weft dump [--json] PID
              prints the task tree of the running Weft program PID (or of a program under weft run):
              tasks, loops, states, cancel scopes with deadlines, budgets, where each task waits
              --json   the JSON form: jcmd's Thread.dump_to_file -format=json shape, plus Weft's fields""";

    static final String JMX_USAGE = """
            usage: weft jmx PID
              registers Weft's MBeans (dev.weft: Runtime, Budget, HeapWatchdog) in the running program PID,
              so that jconsole PID or any JMX client shows them""";

    static int dump(String[] args, PrintStream out, PrintStream err) {
        boolean json = false;
        String pid = null;
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                out.println(DUMP_USAGE);
                return ExitStatus.OK.code();
            } else if (a.equals("--json")) {
                json = true;
            } else if (pid == null && a.matches("\\d+")) {
                pid = a;
            } else {
                err.println("weft dump: unexpected argument '" + a + "'");
                err.println(DUMP_USAGE);
                return ExitStatus.USAGE.code();
            }
        }
        if (pid == null) {
            err.println("weft dump: give the process id of the Weft program (jps or ps lists them)");
            err.println(DUMP_USAGE);
            return ExitStatus.USAGE.code();
        }
        return request(pid, json ? "json" : "text", out, err, "weft dump");
    }

    static int jmx(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            out.println(JMX_USAGE);
            return ExitStatus.OK.code();
        }
        if (args.length != 1 || !args[0].matches("\\d+")) {
            err.println("weft jmx: give one process id");
            err.println(JMX_USAGE);
            return ExitStatus.USAGE.code();
        }
        int status = request(args[0], "jmx", out, err, "weft jmx");
        if (status == ExitStatus.OK.code()) {
            out.println("(registered; connect with: jconsole " + args[0] + ")");
        }
        return status;
    }

    private static int request(String pid, String action, PrintStream out, PrintStream err, String command) {
        Path agentJar;
        try {
            agentJar = RunCommand.agentJar(RunCommand.codeSource(dev.weft.Weft.class));
        } catch (IllegalArgumentException e) {
            err.println(command + ": " + e.getMessage());
            return ExitStatus.USAGE.code();
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("weft-attach-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path answer = dir.resolve("answer");
            VirtualMachine vm = VirtualMachine.attach(pid);
            try {
                vm.loadAgent(agentJar.toString(), "weft-attach:" + action + ":" + answer);
            } finally {
                vm.detach();
            }
            out.print(Files.readString(answer, StandardCharsets.UTF_8));
            out.flush();
            return ExitStatus.OK.code();
        } catch (AttachNotSupportedException | IOException e) {
            err.println(command + ": cannot attach to process " + pid + " (" + e.getMessage() + "); it must be a"
                    + " running JVM of this user, started without -XX:+DisableAttachMechanism");
            return ExitStatus.FAILED.code();
        } catch (AgentInitializationException | AgentLoadException e) {
            err.println(command + ": process " + pid + " could not answer (" + e.getMessage() + "); it must run the"
                    + " Weft runtime on its class path (as under weft run); its standard error says why");
            return ExitStatus.FAILED.code();
        } finally {
            if (dir != null) {
                try {
                    Files.deleteIfExists(dir.resolve("answer"));
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // a temporary folder of this user: left behind at worst
                }
            }
        }
    }
}
