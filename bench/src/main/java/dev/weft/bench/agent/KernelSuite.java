package dev.weft.bench.agent;

/** The CPU kernels, called through this interface so that the plain and instrumented copies run the same way. */
public interface KernelSuite {
    long sum(int[] a);

    void scale(int[] a, int[] b, int k);

    void matmul(double[] a, double[] b, double[] c, int n);

    long fib(int n);

    int stringBuild(int n);

    long collections(int n);

    int lang3(String s, String t);

    /** Commons Codec, the library whose suite runs under the agent in CI: Base64 encode and decode. */
    int codec(byte[] data);

    /** Spins until cancelled: a loop with no calls (sets {@code running} first). */
    long spin(boolean[] running);

    /** A counted loop that runs for seconds unless cancelled: strip-mined when instrumented. */
    int countedSpin(int[] a, boolean[] running);
}
