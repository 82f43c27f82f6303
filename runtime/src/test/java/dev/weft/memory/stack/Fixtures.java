package dev.weft.memory.stack;

import dev.weft.memory.MaxDepth;

/**
 * Entry points whose stacks {@code StackSoundnessTest} bounds and measures: each reaches {@link Probe#here()}, a
 * checkpoint where its virtual thread parks and its frozen stack is measured. Each entry is a static method
 * without arguments, or with the arguments {@link Child} passes.
 */
public final class Fixtures {
    private Fixtures() {}

    // ---- a deep call chain, frames of different sizes

    public static long chain() {
        return c1(1) + 1;
    }

    static long c1(long a) {
        long b = a * 3;
        return c2(b, a) + b;
    }

    static long c2(long a, long b) {
        long c = a + b;
        long d = a - b;
        return c3(c, d) * 2;
    }

    static long c3(long a, long b) {
        return c4((int) a, (int) b, a * b) + 1;
    }

    static long c4(int a, int b, long c) {
        int[] xs = {a, b, a + b};
        Probe.here();
        return c5(xs[0], xs[1], xs[2], c) + xs.length;
    }

    static long c5(int a, int b, int c, long d) {
        long e = a + b + c + d;
        return c6(e, e + 1, e + 2) - 1;
    }

    static long c6(long a, long b, long c) {
        long d = a ^ b ^ c;
        return c7(d) + c8(d, d);
    }

    static long c7(long a) {
        Probe.here();
        return a + 1;
    }

    static long c8(long a, long b) {
        double x = a * 0.5;
        double y = b * 0.25;
        return c9(x, y, (float) x, a) + 3;
    }

    static long c9(double x, double y, float z, long w) {
        long r = (long) (x + y + z) + w;
        Probe.here();
        return r;
    }

    // ---- recursion with a declared depth

    /** 40 activations: {@code depth(39)}. */
    public static int recursion() {
        return depth(39);
    }

    @MaxDepth(40)
    static int depth(int n) {
        if (n == 0) {
            Probe.here();
            return 0;
        }
        if (n % 10 == 0) {
            Probe.here();
        }
        return 1 + depth(n - 1);
    }

    // ---- mutual recursion, the depth declared on one method of the cycle

    public static boolean mutual() {
        return isEven(30);
    }

    @MaxDepth(16)
    static boolean isEven(int n) {
        if (n == 0) {
            Probe.here();
            return true;
        }
        return isOdd(n - 1);
    }

    static boolean isOdd(int n) {
        long pad = n * 7L;
        if (n == 0) {
            return false;
        }
        return pad >= 0 && isEven(n - 1);
    }

    // ---- lambdas through an interface of our own

    /** A function the lambdas implement. */
    public interface Step {
        long apply(long x);
    }

    public static long lambdas() {
        long k = 5;
        Step square = x -> x * x;
        Step deep = x -> c5((int) x, 1, 2, k);           // captures k
        Step probe = x -> {
            Probe.here();
            return x + k;
        };
        return twice(square, 3) + twice(deep, 4) + twice(probe, 5) + twice(Fixtures::methodRef, 6);
    }

    static long twice(Step s, long x) {
        return s.apply(s.apply(x));
    }

    static long methodRef(long x) {
        long a = x + 1;
        long b = a * 2;
        return c3(a, b);
    }

    // ---- an interface with several implementations of different frame sizes

    /** A shape with implementations whose stacks differ. */
    public interface Shape {
        long area(long scale);
    }

    static final class Square implements Shape {
        @Override
        public long area(long scale) {
            Probe.here();
            return scale * scale;
        }
    }

    static final class Circle implements Shape {
        @Override
        public long area(long scale) {
            double r = scale;
            double a = Math.PI * r * r;
            return (long) a + c2(scale, scale);
        }
    }

    static class Polygon implements Shape {
        @Override
        public long area(long scale) {
            long[] sides = {scale, scale + 1, scale + 2, scale + 3};
            long sum = 0;
            for (long s : sides) {
                sum += s;
            }
            return sum + c1(sum);
        }
    }

    static final class Triangle extends Polygon {
        @Override
        public long area(long scale) {
            Probe.here();
            return super.area(scale) / 2;
        }
    }

    public static long shapes() {
        Shape[] all = {new Square(), new Circle(), new Polygon(), new Triangle()};
        long sum = 0;
        for (Shape s : all) {
            sum += s.area(3);
        }
        return sum;
    }

    // ---- exceptions in flight

    public static int exceptions() {
        int caught = 0;
        try {
            thrower(3);
        } catch (IllegalStateException e) {
            caught += handler(e);
        }
        try {
            try {
                thrower(2);
            } finally {
                Probe.here();                             // the exception propagates meanwhile
            }
        } catch (IllegalStateException e) {
            caught++;
        }
        return caught;
    }

    @MaxDepth(4)
    static int thrower(int n) {
        if (n == 0) {
            throw new IllegalStateException("deep");
        }
        return thrower(n - 1) + 1;
    }

    static int handler(IllegalStateException e) {
        Probe.here();
        return e.getMessage().length() + (int) c7(1);
    }

    // ---- a depth-first walk that parks at every leaf: a new chunk each time it goes down again

    /** 16 leaves, 5 activations of {@code node} at each. */
    public static long tree() {
        return node(4);
    }

    /**
     * The second call has the first one's result on the expression stack, so its frames are a word larger than
     * the ones thawed back from the chunk, and the freeze needs a new chunk (as it does after any collection).
     */
    @MaxDepth(5)
    static long node(int depth) {
        if (depth == 0) {
            Probe.here();
            return 1;
        }
        return node(depth - 1) + node(depth - 1);
    }
}
