/**
 * Weft's command line: {@code weft demo | tour | run | plan | serve | bench | --help}, started by the {@code ./weft} launcher
 * (or {@code java -jar weft-cli.jar} with the runtime and agent jars beside it).
 *
 * <p>It uses the runtime's public API, plus the three internal packages the runtime exports to this module only
 * (byte sizes and the soft-limit child for {@code weft run --soft-limit}, SIGINT handling for {@code weft run}).
 * The agent is not read at compile time: {@code weft run} names its child entry point and finds its jar at run
 * time. Exports nothing; the commands are reached through {@link dev.weft.cli.Main}.
 */
module dev.weft.cli {
    requires dev.weft;
    // weft dump PID, weft jmx PID: the attach API loads the agent jar into the running program
    requires jdk.attach;
    // not needed to run: the end-to-end checks read weft run --jfr's recordings (jdk.jfr.consumer)
    requires static jdk.jfr;
}
