package dev.weft.memory.budget;

import dev.weft.Cancellation;
import dev.weft.Weft;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Programs for {@link ForkedHeapTest} to run under {@code SoftLimitRun} (the child side of
 * {@code weft run --soft-limit}), each with a cancellation point per iteration where the agent would compile
 * one. Each prints one {@code RESULT} line from its {@code finally} block or at its end.
 */
public final class SoftLimitPrograms {
    private SoftLimitPrograms() {}

    public static void main(String[] args) {
        switch (args[0]) {
            case "leak" -> leak(Integer.parseInt(args[1]), args.length > 2 ? Long.parseLong(args[2]) : 0);
            case "healthy" -> healthy(Integer.parseInt(args[1]), Long.parseLong(args[2]));
            case "direct" -> direct();
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    /**
     * Keeps every array of {@code sizeBytes} it allocates: as fast as it can, or with a {@code pauseMs} sleep
     * after each (a request at a time).
     */
    private static void leak(int sizeBytes, long pauseMs) {
        List<byte[]> held = new ArrayList<>();
        long startNs = System.nanoTime();
        try {
            while (true) {
                held.add(new byte[sizeBytes]);
                Cancellation.checkpoint();
                if (pauseMs > 0) {
                    Weft.sleep(Duration.ofMillis(pauseMs));
                }
            }
        } finally {
            long heldBytes = (long) held.size() * sizeBytes;
            long elapsedNs = Math.max(1, System.nanoTime() - startNs);
            held.clear();
            System.out.println("RESULT leak held=" + heldBytes + " rateMBps=" + heldBytes * 1000 / elapsedNs);
            System.out.flush();
        }
    }

    /**
     * Holds {@code liveMiB} in 64 KiB chunks for {@code seconds}, replacing a chunk at random after every 64 KiB of
     * short-lived garbage: a steady live heap, churn through the old generation, and garbage in eden.
     */
    private static void healthy(int liveMiB, long seconds) {
        byte[][] held = new byte[liveMiB * 16][];
        for (int i = 0; i < held.length; i++) {
            held[i] = new byte[64 << 10];
        }
        long endNs = System.nanoTime() + seconds * 1_000_000_000L;
        long replaced = 0;
        long sink = 0;
        long seed = 42;
        while (System.nanoTime() - endNs < 0) {
            for (int k = 0; k < 256; k++) {
                sink += new byte[256].length;
            }
            seed = seed * 6364136223846793005L + 1442695040888963407L;
            held[(int) ((seed >>> 33) % held.length)] = new byte[64 << 10];
            replaced++;
            Cancellation.checkpoint();
        }
        System.out.println("RESULT healthy replaced=" + replaced + " sink=" + sink);
        System.out.flush();
    }

    /** Keeps every 1 MiB direct buffer it allocates: only the direct-memory cap stops it. */
    private static void direct() {
        List<ByteBuffer> held = new ArrayList<>();
        try {
            while (true) {
                held.add(ByteBuffer.allocateDirect(1 << 20));
                Cancellation.checkpoint();
            }
        } finally {
            int n = held.size();
            held.clear();
            System.out.println("RESULT direct held=" + n + " MiB");
            System.out.flush();
        }
    }
}
