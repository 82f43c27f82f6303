package example.cli.programs;

/**
 * An unmodified program: a virtual thread computes for a while; main beats every 100 ms meanwhile and prints the
 * longest gap between two beats. On a plain JVM the two share nothing.
 */
public final class HeartbeatProgram {
    public static void main(String[] args) throws Exception {
        long computeNs = 1_500_000_000L;
        Thread worker = Thread.ofVirtual().start(() -> {
            long end = System.nanoTime() + computeNs;
            long x = 0;
            while (System.nanoTime() < end) {
                x++;
            }
            System.out.println("computed " + (x > 0));
        });
        long last = System.nanoTime();
        long gapMaxNs = 0;
        while (worker.isAlive()) {
            Thread.sleep(100);
            long now = System.nanoTime();
            gapMaxNs = Math.max(gapMaxNs, now - last);
            last = now;
        }
        System.out.println("longest gap ms=" + gapMaxNs / 1_000_000);
    }
}
