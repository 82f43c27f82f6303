package example.cli.programs;

import java.util.concurrent.CountDownLatch;

/**
 * An unmodified program whose main returns while a non-daemon thread it started still works: the JVM waits for that
 * thread. Both print what they inherited.
 */
public final class NonDaemonProgram {
    public static void main(String[] args) throws Exception {
        CountDownLatch mainReturned = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try {
                mainReturned.await();
                Thread.sleep(200);
                System.out.println("worker done");
            } catch (InterruptedException e) {
                System.out.println("worker interrupted");
            }
        }, "worker");
        System.out.println("worker daemon=" + t.isDaemon() + " priority=" + t.getPriority() + " group="
                + t.getThreadGroup().getName());
        Thread factoryMade = java.util.concurrent.Executors.defaultThreadFactory().newThread(() -> { });
        System.out.println("factory daemon=" + factoryMade.isDaemon() + " group="
                + factoryMade.getThreadGroup().getName());
        Thread daemonByChoice = new Thread(() -> { });
        daemonByChoice.setDaemon(true);
        System.out.println("chosen daemon=" + daemonByChoice.isDaemon());
        t.start();
        System.out.println("main returns");
        mainReturned.countDown();
    }
}
