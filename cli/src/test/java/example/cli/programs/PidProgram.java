package example.cli.programs;

/**
 * An unmodified program: prints its process id and its parent's, whether its JVM starts from or records an AOT cache,
 * and whether a thread it creates is a daemon (not on a plain JVM); then spins until stopped if asked to.
 */
public final class PidProgram {
    static volatile boolean stop;

    public static void main(String[] args) {
        ProcessHandle self = ProcessHandle.current();
        System.out.println("pid=" + self.pid() + " parent=" + self.parent().map(ProcessHandle::pid).orElse(-1L));
        java.util.List<String> jvm = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
        System.out.println("aot-use=" + jvm.stream().anyMatch(a -> a.startsWith("-XX:AOTCache="))
                + " aot-record=" + jvm.contains("-XX:AOTMode=record")
                + " thread-daemon=" + new Thread(() -> { }).isDaemon());
        System.out.flush();
        if (args.length > 0 && args[0].equals("spin")) {
            long x = 0;
            try {
                System.out.println("started");
                System.out.flush();
                while (!stop) {
                    x++;
                }
            } finally {
                System.out.println("finally ran");
                System.out.flush();
            }
            System.out.println("returned " + x);
        }
    }
}
