package dev.weft.snippets;

import dev.weft.agent.Checkpoints;
import java.util.List;
import java.util.Queue;

/** The examples of the agent's Javadoc, compiled with its tests. */
final class AgentSnippets {
    private AgentSnippets() {}

    /** A tree node of the example. */
    record Node(List<Node> children) {}

    // @start region=checkpoints
    @Checkpoints("entry")          // a check at every call, and at every back-edge: for recursion the agent cannot
    static long walk(Node n) {     // see, through another class or a lambda (it finds recursion within a class itself)
        return n == null ? 0 : 1 + n.children().stream().mapToLong(c -> walk(c)).sum();
    }

    @Checkpoints("backedge/64")    // a hot loop with calls: check every 64th iteration
    static void drain(Queue<Runnable> q) {
        for (Runnable r; (r = q.poll()) != null; ) {
            r.run();
        }
    }
    // @end

    /** {@code WeftAgent}'s class documentation: the agent's options; {@code AgentSnippetsTest} parses them. */
    // @start region=options
    // every application class, default policy (backedge):
    //     java -javaagent:weft-agent.jar -cp app.jar:weft-runtime.jar com.example.Main
    // with options: java -javaagent:weft-agent.jar=OPTIONS -cp app.jar:weft-runtime.jar com.example.Main
    static final String OPTIONS =
            "instrument=java.util.regex.**,"     // also java.util.regex: a catastrophic backtracking match cancels
            + "com.example.hot.**=backedge/64,"  // a hot package: a check every 64th iteration
            + "report=weft-agent.txt";           // a report of what was instrumented under which policy
    // @end
}
