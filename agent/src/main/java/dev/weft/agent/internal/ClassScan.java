package dev.weft.agent.internal;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A pre-scan of a class file's raw bytes that decides, without building a {@code java.lang.classfile} model, that
 * the {@link CheckpointCompiler} has nothing to change in it: no backward branch, no monitor instruction, no
 * {@code synchronized} method, no method that is recursive within the class, no call that defines a hidden class,
 * no {@code @Checkpoints} annotation. Most classes a program loads are such classes (getters, records, exceptions,
 * factories: 436 of the 588 application classes of a first Jackson round trip), and before this scan each of them cost a full
 * parse, a transform and stack-map work only to be loaded unchanged.
 *
 * <p>The scan is conservative: any doubt (an unknown constant tag, a truncated file, an opcode it does not know)
 * answers "may change", and the full compiler decides. It answers "unchanged" only where the compiler would return
 * no bytes under a {@code backedge} policy; the caller never asks it under {@code entry} (every method entry gets a
 * check) or when a method rule names the class. What it reads:
 * <ul>
 *   <li>the constant pool, once: where each UTF-8 entry lies, and which method references may call a method of this
 *       class (owner this class or an interface it implements directly, as {@link Recursion} counts them);</li>
 *   <li>every method's flags, name, descriptor and {@code Code} attribute, whose instructions it walks with their
 *       lengths ({@code tableswitch}/{@code lookupswitch} padding, {@code wide}), looking at branch targets, monitor
 *       opcodes and invocations;</li>
 *   <li>the call graph of the class's own methods, whose cycles ({@link Recursion#components}) are the recursive
 *       methods.</li>
 * </ul>
 *
 * <p>Things that don't work: deciding recursion from the constant pool alone (a method reference to the class's own
 * methods is in nearly every class, since a class calls its own helpers; only a cycle means recursion). Solution: the
 * call graph from the walk, and the scan checked against the full compiler over thousands of JDK and library classes
 * ({@code ClassScanTest}).
 *
 * <h2>Thread safety</h2>
 * Stateless; each call uses only its own arrays.
 */
final class ClassScan {
    private ClassScan() {}

    /** What the scan found. */
    enum Verdict {
        /** The compiler would change nothing: load the class as it is. */
        UNCHANGED,
        /** The compiler may change it (or the scan could not tell): compile it. */
        MAY_CHANGE
    }

    private static final int ACC_SYNCHRONIZED = 0x0020;
    private static final int ACC_INTERFACE = 0x0200;

    /**
     * The scan's answer.
     *
     * @param internalName the class's name ({@code com/example/Foo}), or {@code null} if the bytes could not be read
     *                     that far
     * @param verdict      whether the compiler may change the class
     * @param loopsOrMonitors for each method in class-file order, whether its body has a backward branch, a monitor
     *                     instruction, {@code jsr} or {@code ret} (a method without either, not recursive, gets no check under {@code backedge});
     *                     {@code null} when the scan could not read every method
     */
    record Scan(String internalName, Verdict verdict, boolean[] loopsOrMonitors) {}

    /**
     * Decides whether the compiler may change {@code bytes} under a {@code backedge} policy.
     *
     * @param recursion whether recursive methods get entry checks (the agent's {@code recursion} option)
     */
    static Scan scan(byte[] bytes, boolean recursion) {
        Reader r = new Reader(bytes);
        try {
            Verdict v = r.scan(recursion);
            return new Scan(r.self, v, r.busy);
        } catch (RuntimeException malformed) {
            return new Scan(r.self, Verdict.MAY_CHANGE, null); // truncated or unknown: the compiler decides
        }
    }

    /**
     * What a class file says about its class's place in the hierarchy, as the stack-map generator asks it:
     * {@code "I"} for an interface, else {@code "C"} followed by the superclass's internal name (none for
     * {@code java/lang/Object}).
     *
     * @throws RuntimeException if the bytes are not a class file
     */
    static String hierarchy(byte[] bytes) {
        Reader r = new Reader(bytes);
        r.readConstantPool();
        int flags = r.u2(r.afterPool);
        if ((flags & ACC_INTERFACE) != 0) {
            return "I";
        }
        int superIndex = r.u2(r.afterPool + 4);
        return superIndex == 0 ? "C" : "C" + r.classNameAt(superIndex);
    }

    /** One pass over one class file. */
    private static final class Reader {
        private final byte[] b;
        private int[] cpOffset;  // offset of each constant's tag byte; 0 for the unusable slot after a long/double
        private int afterPool;    // offset of access_flags
        private String self;      // this class's internal name, once read
        private boolean[] busy;   // per method: a backward branch or a monitor instruction; set once all are walked

        Reader(byte[] bytes) {
            this.b = bytes;
        }

        int u1(int at) {
            return b[at] & 0xff;
        }

        int u2(int at) {
            return (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
        }

        int s4(int at) {
            return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | b[at + 3] & 0xff;
        }

        void readConstantPool() {
            if (s4(0) != 0xCAFEBABE) {
                throw new IllegalArgumentException("not a class file");
            }
            int count = u2(8);
            cpOffset = new int[count];
            int p = 10;
            for (int i = 1; i < count; i++) {
                cpOffset[i] = p;
                int tag = u1(p);
                p += switch (tag) {
                    case 1 -> 3 + u2(p + 1);                 // Utf8
                    case 3, 4 -> 5;                          // Integer, Float
                    case 5, 6 -> 9;                          // Long, Double: two slots
                    case 7, 8, 16, 19, 20 -> 3;              // Class, String, MethodType, Module, Package
                    case 9, 10, 11, 12, 17, 18 -> 5;         // refs, NameAndType, Dynamic, InvokeDynamic
                    case 15 -> 4;                            // MethodHandle
                    default -> throw new IllegalArgumentException("constant tag " + tag);
                };
                if (tag == 5 || tag == 6) {
                    i++;
                }
            }
            afterPool = p;
        }

        /** The text of the UTF-8 constant {@code index} (modified UTF-8, decoded as the JVM does). */
        String utf8(int index) {
            int p = cpOffset[index];
            if (u1(p) != 1) {
                throw new IllegalArgumentException("constant " + index + " is not UTF-8");
            }
            int len = u2(p + 1);
            int start = p + 3;
            int end = start + len;
            char[] out = new char[len];
            int n = 0;
            for (int i = start; i < end; ) {
                int c = b[i] & 0xff;
                if (c < 0x80) {
                    out[n++] = (char) c;
                    i++;
                } else if ((c & 0xe0) == 0xc0) {
                    out[n++] = (char) ((c & 0x1f) << 6 | b[i + 1] & 0x3f);
                    i += 2;
                } else {
                    out[n++] = (char) ((c & 0x0f) << 12 | (b[i + 1] & 0x3f) << 6 | b[i + 2] & 0x3f);
                    i += 3;
                }
            }
            return new String(out, 0, n);
        }

        /** True if the UTF-8 constant {@code index} is exactly {@code ascii}. */
        boolean utf8Is(int index, String ascii) {
            int p = cpOffset[index];
            if (u1(p) != 1 || u2(p + 1) != ascii.length()) {
                return false;
            }
            for (int i = 0; i < ascii.length(); i++) {
                if (b[p + 3 + i] != ascii.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        String classNameAt(int classIndex) {
            int p = cpOffset[classIndex];
            if (u1(p) != 7) {
                throw new IllegalArgumentException("constant " + classIndex + " is not a class");
            }
            return utf8(u2(p + 1));
        }

        Verdict scan(boolean recursion) {
            readConstantPool();
            int p = afterPool;
            int classFlags = u2(p);
            self = classNameAt(u2(p + 2));
            int count = cpOffset.length;
            // a @Checkpoints annotation may ask for entry checks; a hidden-class definition is rewritten
            for (int i = 1; i < count; i++) {
                int at = cpOffset[i];
                if (at != 0 && u1(at) == 1 && (utf8Is(i, CheckpointCompiler.CHECKPOINTS)
                        || utf8Is(i, HiddenClassDefinitions.DEFINE)
                        || utf8Is(i, HiddenClassDefinitions.DEFINE_WITH_DATA))) {
                    return Verdict.MAY_CHANGE;
                }
            }
            int interfaceCount = u2(p + 6);
            String[] interfaces = new String[interfaceCount];
            for (int i = 0; i < interfaceCount; i++) {
                interfaces[i] = classNameAt(u2(p + 8 + 2 * i));
            }
            p += 8 + 2 * interfaceCount;
            int fieldCount = u2(p);
            p += 2;
            for (int i = 0; i < fieldCount; i++) {
                p = skipAttributes(p + 6);
            }
            int methodCount = u2(p);
            p += 2;
            int[] codeAt = new int[methodCount];    // offset of the code array, -1 without a body
            int[] codeLength = new int[methodCount];
            int[] nameIndex = new int[methodCount];
            int[] descIndex = new int[methodCount];
            int bodies = 0;
            boolean synchronizedBody = false;
            for (int m = 0; m < methodCount; m++) {
                int flags = u2(p);
                nameIndex[m] = u2(p + 2);
                descIndex[m] = u2(p + 4);
                codeAt[m] = -1;
                int attributes = u2(p + 6);
                p += 8;
                for (int a = 0; a < attributes; a++) {
                    int length = s4(p + 2);
                    if (utf8Is(u2(p), "Code")) {
                        codeLength[m] = s4(p + 10);
                        codeAt[m] = p + 14;
                        bodies++;
                    }
                    p += 6 + length;
                }
                synchronizedBody |= codeAt[m] >= 0 && (flags & ACC_SYNCHRONIZED) != 0; // its monitor is counted
            }
            if (bodies == 0 && (classFlags & ACC_INTERFACE) != 0) {
                return Verdict.UNCHANGED;
            }
            // which method references name one of this class's methods with a body, and which one
            int[] target = null;
            if (recursion) {
                Map<String, Integer> own = new HashMap<>();
                for (int m = 0; m < methodCount; m++) {
                    if (codeAt[m] >= 0) {
                        own.put(utf8(nameIndex[m]) + utf8(descIndex[m]), m);
                    }
                }
                target = new int[count];
                Arrays.fill(target, -1);
                for (int i = 1; i < count; i++) {
                    int q = cpOffset[i];
                    int tag = q == 0 ? 0 : u1(q);
                    if (tag != 10 && tag != 11) {
                        continue;
                    }
                    String owner = classNameAt(u2(q + 1));
                    if (!owner.equals(self) && !contains(interfaces, owner)) {
                        continue;
                    }
                    int nat = cpOffset[u2(q + 3)];
                    Integer w = own.get(utf8(u2(nat + 1)) + utf8(u2(nat + 3)));
                    if (w != null) {
                        target[i] = w;
                    }
                }
            }
            int[][] callees = new int[methodCount][];
            boolean[] loopsOrMonitors = new boolean[methodCount];
            boolean any = synchronizedBody;
            for (int m = 0; m < methodCount; m++) {
                callees[m] = new int[0];
                if (codeAt[m] >= 0) {
                    int[] out = walk(codeAt[m], codeLength[m], target);
                    if (out == null) {
                        loopsOrMonitors[m] = true; // a back-edge or a monitor
                        any = true;
                    } else {
                        callees[m] = out;
                    }
                }
            }
            busy = loopsOrMonitors;
            if (any) {
                return Verdict.MAY_CHANGE;
            }
            if (recursion) {
                for (int m = 0; m < methodCount; m++) {
                    for (int w : callees[m]) {
                        if (w == m) {
                            return Verdict.MAY_CHANGE;
                        }
                    }
                }
                int[] component = Recursion.components(callees);
                boolean[] seen = new boolean[methodCount];
                for (int m = 0; m < methodCount; m++) {
                    if (seen[component[m]]) {
                        return Verdict.MAY_CHANGE; // two methods in one component: a cycle
                    }
                    seen[component[m]] = true;
                }
            }
            return Verdict.UNCHANGED;
        }

        private static boolean contains(String[] names, String name) {
            for (String n : names) {
                if (n.equals(name)) {
                    return true;
                }
            }
            return false;
        }

        private int skipAttributes(int p) {
            int attributes = u2(p);
            p += 2;
            for (int a = 0; a < attributes; a++) {
                p += 6 + s4(p + 2);
            }
            return p;
        }

        /**
         * Walks one code array. Returns the methods of this class it may call ({@code target} maps a constant to a
         * method, or is null when recursion does not matter), or {@code null} at the first backward branch, monitor
         * instruction, {@code jsr} or {@code ret} (the compiler reports such bodies as left unchanged).
         */
        private int[] walk(int start, int length, int[] target) {
            int[] out = new int[4];
            int n = 0;
            int end = start + length;
            int pc = 0;
            while (start + pc < end) {
                int at = start + pc;
                int op = u1(at);
                int len = LENGTH[op];
                switch (op) {
                    case 0xc2, 0xc3, 0xa8, 0xa9, 0xc9 -> { // monitorenter, monitorexit; jsr, ret, jsr_w (left as they are)
                        return null;
                    }
                    case 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
                         0xa7, 0xc6, 0xc7 -> { // if*, goto, ifnull, ifnonnull
                        if ((short) u2(at + 1) <= 0) {
                            return null;
                        }
                    }
                    case 0xc8 -> { // goto_w
                        if (s4(at + 1) <= 0) {
                            return null;
                        }
                    }
                    case 0xaa -> { // tableswitch
                        int q = at + 1 + (3 - (pc & 3));
                        int low = s4(q + 4);
                        int high = s4(q + 8);
                        long entries = (long) high - low + 1;
                        if (s4(q) <= 0) {
                            return null;
                        }
                        for (long k = 0; k < entries; k++) {
                            if (s4(q + 12 + (int) (4 * k)) <= 0) {
                                return null;
                            }
                        }
                        len = (int) (q + 12 + 4 * entries - at);
                    }
                    case 0xab -> { // lookupswitch
                        int q = at + 1 + (3 - (pc & 3));
                        int pairs = s4(q + 4);
                        if (s4(q) <= 0) {
                            return null;
                        }
                        for (int k = 0; k < pairs; k++) {
                            if (s4(q + 12 + 8 * k) <= 0) {
                                return null;
                            }
                        }
                        len = q + 8 + 8 * pairs - at;
                    }
                    case 0xc4 -> { // wide iinc, wide load/store/ret
                        if (u1(at + 1) == 0xa9) {
                            return null;
                        }
                        len = u1(at + 1) == 0x84 ? 6 : 4;
                    }
                    case 0xb6, 0xb7, 0xb8, 0xb9 -> { // invokevirtual, invokespecial, invokestatic, invokeinterface
                        if (target != null) {
                            int w = target[u2(at + 1)];
                            if (w >= 0) {
                                if (n == out.length) {
                                    out = Arrays.copyOf(out, 2 * n);
                                }
                                out[n++] = w;
                            }
                        }
                    }
                    default -> {
                        if (len == 0) {
                            throw new IllegalArgumentException("opcode " + op);
                        }
                    }
                }
                pc += len;
            }
            return Arrays.copyOf(out, n);
        }
    }

    /** Instruction lengths with operands; 0 for the variable-length ones and for opcodes that do not exist. */
    private static final int[] LENGTH = new int[256];

    static {
        Arrays.fill(LENGTH, 0, 0xca, 1); // nop .. breakpoint: no operands unless set below
        for (int op : new int[] {0x10, 0x12, 0x15, 0x16, 0x17, 0x18, 0x19, 0x36, 0x37, 0x38, 0x39, 0x3a, 0xa9, 0xbc}) {
            LENGTH[op] = 2; // bipush, ldc, loads, stores, ret, newarray
        }
        for (int op : new int[] {0x11, 0x13, 0x14, 0x84, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xbb, 0xbd, 0xc0,
                0xc1}) {
            LENGTH[op] = 3; // sipush, ldc_w, ldc2_w, iinc, field and method refs, new, anewarray, checkcast, instanceof
        }
        for (int op = 0x99; op <= 0xa8; op++) {
            LENGTH[op] = 3; // if*, goto, jsr
        }
        LENGTH[0xc6] = 3;
        LENGTH[0xc7] = 3;
        LENGTH[0xc5] = 4; // multianewarray
        LENGTH[0xb9] = 5; // invokeinterface
        LENGTH[0xba] = 5; // invokedynamic
        LENGTH[0xc8] = 5; // goto_w
        LENGTH[0xc9] = 5; // jsr_w
        LENGTH[0xaa] = 0; // tableswitch
        LENGTH[0xab] = 0; // lookupswitch
        LENGTH[0xc4] = 0; // wide
    }
}
