package dev.weft.agent.internal;

import dev.weft.Weft;
import dev.weft.internal.jmx.WeftMBeans;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@code weft dump PID} and {@code weft jmx PID} ask of a running JVM: they attach and load the agent jar with
 * {@code weft-attach:ACTION:FILE} as its options, and {@link dev.weft.agent.WeftAgent#agentmain} hands those here
 * instead of installing the agent. Runs once per request, on the JVM's attach thread, and returns when the answer
 * is in {@code FILE} (the command waits for that): nothing listens in the program between requests.
 *
 * <p>Actions: {@code text} and {@code json} write {@link Weft#dump()} or {@link Weft#dumpJson()}; {@code jmx}
 * registers Weft's MBeans on the platform MBean server and writes their names.
 */
public final class AttachRequest {
    private AttachRequest() {}

    /** The agent options that mark a request (not an agent installation). */
    public static final String PREFIX = "weft-attach:";

    /** Whether {@code agentArgs} is a request. */
    public static boolean matches(String agentArgs) {
        return agentArgs != null && agentArgs.startsWith(PREFIX);
    }

    /** Serves the request; throws (the command then reports it) if the answer cannot be written. */
    public static void serve(String agentArgs) {
        String rest = agentArgs.substring(PREFIX.length());
        int colon = rest.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("bad Weft attach request '" + agentArgs + "'; expected "
                    + PREFIX + "ACTION:FILE");
        }
        String action = rest.substring(0, colon);
        Path file = Path.of(rest.substring(colon + 1));
        String answer = switch (action) {
            case "text" -> Weft.dump();
            case "json" -> Weft.dumpJson();
            case "jmx" -> String.join("\n", WeftMBeans.registerAll()) + "\n";
            default -> throw new IllegalArgumentException("unknown Weft attach action '" + action
                    + "'; use text, json or jmx");
        };
        try {
            Files.writeString(file, answer, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the answer to " + file + ": " + e, e);
        }
    }
}
