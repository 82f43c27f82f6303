package dev.weft.bench.agent;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.codec.binary.Base64;
import org.apache.commons.lang3.StringUtils;

/**
 * The kernels. The benchmark never runs this class as loaded: {@link KernelLoader} renames a copy out of the
 * {@code dev.weft} package (which the agent refuses) and loads it plain or instrumented.
 */
public class Kernels implements KernelSuite {
    @Override
    public long sum(int[] a) {
        long s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i];
        }
        return s;
    }

    @Override
    public void scale(int[] a, int[] b, int k) {
        for (int i = 0; i < a.length; i++) {
            a[i] = b[i] * k;
        }
    }

    @Override
    public void matmul(double[] a, double[] b, double[] c, int n) {
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                double aik = a[i * n + k];
                for (int j = 0; j < n; j++) {
                    c[i * n + j] += aik * b[k * n + j];
                }
            }
        }
    }

    @Override
    public long fib(int n) {
        KernelSuite self = this; // through the interface: the renamed copy must not name this class
        return n < 2 ? n : self.fib(n - 1) + self.fib(n - 2);
    }

    @Override
    public int stringBuild(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i).append(',');
        }
        return sb.length();
    }

    @Override
    public long collections(int n) {
        List<Integer> list = new ArrayList<>();
        Map<Integer, Integer> map = new HashMap<>();
        for (int i = 0; i < n; i++) {
            list.add(i);
            map.put(i, i * 2);
        }
        long s = 0;
        for (Integer v : list) {
            s += map.get(v);
        }
        return s;
    }

    @Override
    @SuppressWarnings("deprecation")
    public int lang3(String s, String t) {
        return StringUtils.getLevenshteinDistance(s, t);
    }

    @Override
    public int codec(byte[] data) {
        byte[] encoded = Base64.encodeBase64(data);
        return Base64.decodeBase64(encoded).length + encoded.length;
    }

    @Override
    public long spin(boolean[] running) {
        running[0] = true;
        long x = 0;
        while (running[0]) {
            x++;
        }
        return x;
    }

    @Override
    public int countedSpin(int[] a, boolean[] running) {
        running[0] = true;
        int i;
        for (i = 0; i < Integer.MAX_VALUE - 1; i++) {
            a[i & 1023] += i;
        }
        return i;
    }
}
