package dev.weft.agent.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.constant.ClassDesc;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * Compiled classes kept on disk across runs, so that a program's second start under the agent loads what the first
 * one compiled instead of compiling it again: at a cold start the compiler itself (the JDK's
 * {@code java.lang.classfile}, its stack-map generator and the verifier, interpreted at first) is most of the agent's
 * cost.
 *
 * <p>An entry is found by a CRC-32 of the class bytes, in a folder named for a hash of the
 * {@linkplain #fingerprint fingerprint}: the agent jar (its CRC-32 and size), the options that change what is
 * compiled ({@code report} does not) and the JDK. Neither hash is trusted: the entry holds the fingerprint's text and
 * the original class bytes, and a hit compares both exactly, so a collision is a miss, never another class's output.
 * Things that don't work: a SHA-256 key. Classes load before the JIT has compiled anything, so the digest runs
 * interpreted, while the JDK's CRC-32 is native; the exact comparison makes the weaker hash safe. One thing outside the class also decides the output: the class
 * hierarchy the stack-map generator and the verifier asked about (the common superclass of two types at a join).
 * Each entry records the classes they asked about with the superclass and interface flag read at the time, and a hit
 * reads them again through the defining loader: if any differs (a library on the class path changed underneath), the
 * entry is a miss and the class is compiled again. A class whose hierarchy question could not be answered from a
 * class file is not cached. Classes in {@code java.*} are not recorded: only the JDK may define them, and its build
 * is in the fingerprint (reading the hierarchy again had taken about a third of the lookups' time on a Jackson round
 * trip).
 *
 * <p>On disk: {@code ROOT/fingerprint-hash/xx/rest-of-the-crc-length-a}, each file written whole to a temporary name in the same folder and
 * renamed over the entry, so that a reader sees a whole entry or none, and several JVMs may write the same entry at
 * once (they write the same bytes). Each file carries a magic number and a CRC-32 of its contents; a file
 * that fails any of them (truncated, corrupt, another version's) is ignored and deleted. Bounded: after it wrote, at
 * most once per {@link #TRIM_INTERVAL_MS} across JVMs (a marker file's time) or whenever one JVM wrote an eighth of the
 * bound, a JVM walks the folder and deletes the least recently written entries until the total is under three
 * quarters of {@code sizeBytesMax}; between trims the folder may exceed the bound by what was written meanwhile.
 *
 * <p>Beside the entries, one pack per class path ({@link #usePack}): every class a run looked up, compiled or found
 * unchanged, in one file read once at the next start, which then needs neither the pre-scan nor a file per class.
 *
 * <p>Failures never reach the program: an entry that cannot be read is a miss, one that cannot be written is not
 * cached, and after {@link #WRITE_FAILURES_MAX} write failures (a full or read-only disk) this JVM stops writing.
 *
 * <h2>Thread safety</h2>
 * Any thread may look up and store; the counters are atomic and the hierarchy memo is a concurrent map per loader.
 */
final class TransformCache {
    /** Default bound on the size of one fingerprint's folder. */
    static final long SIZE_BYTES_DEFAULT = 256L << 20;
    /** Trims are at most this far apart (across JVMs), unless one JVM writes an eighth of the bound. */
    static final long TRIM_INTERVAL_MS = 10 * 60_000L;
    /** Write failures after which this JVM stops writing. */
    static final int WRITE_FAILURES_MAX = 8;
    /** Hierarchy answers remembered per run, over all loaders; past it each is read again. */
    static final int MEMO_MAX = 1 << 16;

    private static final long MAGIC = 0x5745_4654_5443_0001L; // "WEFTTC" and the format version
    private static final String MARKER = "last-trim";

    private final Path dir;          // the fingerprint's folder
    private final String fingerprint;
    private final long sizeBytesMax;
    /** Bytes this JVM wrote; any thread. */
    private final AtomicLong writtenBytes = new AtomicLong();
    /** Bytes written since this JVM last trimmed; any thread. */
    private final AtomicLong sinceTrimBytes = new AtomicLong();
    /** Set by the thread that trims; others skip. */
    private final AtomicBoolean trimming = new AtomicBoolean();
    /** Whether this JVM has trimmed once; after that only the bytes bound triggers a trim. Any thread. */
    private final AtomicBoolean trimmedOnce = new AtomicBoolean();
    private final AtomicLong writeFailures = new AtomicLong();
    private final AtomicLong memoSize = new AtomicLong();
    /** What a class file says about a class's place in the hierarchy, per loader: read by any thread. */
    private final Map<ClassLoader, Map<String, String>> memo = new WeakHashMap<>(); // guarded by itself
    private final Map<String, String> bootMemo = new ConcurrentHashMap<>();

    /**
     * @param root         the cache's folder (created if missing); entries go in a sub-folder per fingerprint
     * @param fingerprint  what besides the class decides the output ({@link #fingerprint})
     * @param sizeBytesMax the bound on the size of the fingerprint's folder
     */
    TransformCache(Path root, String fingerprint, long sizeBytesMax) {
        CRC32 crc = new CRC32();
        crc.update(fingerprint.getBytes(StandardCharsets.UTF_8));
        // as String.format("%08x%08x") would write it; the first String.format of a JVM costs tens of milliseconds
        // uncompiled (its parser and Formatter), measured at 46-65 ms of a warm start on a loaded machine
        this.dir = root.resolve(hex8(fingerprint.hashCode()) + hex8(crc.getValue()));
        this.fingerprint = fingerprint;
        this.sizeBytesMax = sizeBytesMax;
    }

    /** The low 32 bits of {@code x} as eight hex digits. */
    static String hex8(long x) {
        return Long.toHexString(x & 0xffff_ffffL | 1L << 32).substring(1);
    }

    Path dir() {
        return dir;
    }

    /** Bytes this JVM wrote to the cache. */
    long writtenBytes() {
        return writtenBytes.get();
    }

    /**
     * The fingerprint of an agent, as text: its own identity (for a jar, the CRC-32 and size of its bytes), the
     * options that change the output, and the JDK whose class-file library writes it.
     */
    static String fingerprint(String agentIdentity, AgentOptions options) {
        return "agent=" + agentIdentity + " jdk=" + System.getProperty("java.vm.vendor") + " "
                + System.getProperty("java.vm.version") + " " + optionsText(options);
    }

    /**
     * The identity of an agent jar: its path, size and time, as the JDK's AOT cache checks a jar. Things that don't
     * work: a CRC-32 of the jar's bytes, which read and summed 110 KiB at every start (18-36 ms of a warm start on a
     * loaded machine, before anything is compiled); an identical jar built again is now a new fingerprint, whose
     * first run compiles again.
     */
    static String jarIdentity(java.io.File jar) {
        return jar.getAbsolutePath() + "-" + jar.length() + "-" + jar.lastModified();
    }

    /** The options that change what the compiler writes, as text: everything but the report. */
    static String optionsText(AgentOptions o) {
        StringBuilder sb = new StringBuilder("default=").append(o.rules().defaultPolicy());
        for (Rule r : o.rules().rules()) {
            sb.append(',').append(r.glob()).append('=').append(r.policy()).append('@').append(r.order());
        }
        // the hook's parts, not the record's toString(): a record's toString is bootstrapped through invokedynamic
        // (ObjectMethods), 12-16 ms at every start on a loaded machine, uncompiled
        return sb.append(",hook=").append(o.hook().style().name()).append('@').append(o.hook().owner()
                .descriptorString()).append(",chunk=").append(o.chunk()).append(",verify=")
                .append(o.verify()).append(",stripmine=").append(o.stripMining()).append(",recursion=")
                .append(o.recursionEntries()).toString();
    }

    /** The cached result for this class, or {@code null} (no entry, a bad one, or a hierarchy that changed). */
    CheckpointCompiler.Result lookup(byte[] classBytes, boolean application, ClassLoader loader) {
        Path file = fileOf(classBytes, application);
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException | SecurityException missing) {
            return null;
        }
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data))) {
            if (data.length < 16 || in.readLong() != MAGIC) {
                throw new IOException("not an entry of this version");
            }
            CRC32 crc = new CRC32();
            crc.update(data, 0, data.length - 8);
            long stored = java.nio.ByteBuffer.wrap(data, data.length - 8, 8).getLong();
            if (crc.getValue() != stored) {
                throw new IOException("corrupt entry");
            }
            if (!in.readUTF().equals(fingerprint) || in.readBoolean() != application) {
                return null; // two fingerprints in one folder (a hash collision): a miss
            }
            int originalLength = in.readInt();
            if (originalLength != classBytes.length) {
                return null; // another class with the same CRC-32: a miss
            }
            byte[] original = in.readNBytes(originalLength);
            if (!java.util.Arrays.equals(original, classBytes)) {
                return null;
            }
            String policy = in.readUTF();
            String detail = in.readUTF();
            int facts = in.readInt();
            String[] asked = new String[2 * facts];
            for (int i = 0; i < facts; i++) {
                String name = in.readUTF();
                String recorded = in.readUTF();
                if (!recorded.equals(hierarchyOf(name, loader))) {
                    return null; // the class hierarchy changed: compile again, and overwrite
                }
                asked[2 * i] = name;
                asked[2 * i + 1] = recorded;
            }
            int length = in.readInt();
            byte[] bytes = length < 0 ? null : in.readNBytes(length);
            if (bytes != null && bytes.length != length) {
                throw new IOException("truncated entry");
            }
            CheckpointCompiler.Result r = new CheckpointCompiler.Result(bytes, policy, detail);
            remember(classBytes, application, r, asked);
            return cached(r);
        } catch (IOException | RuntimeException bad) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException | SecurityException ignored) {
                // another JVM's problem too; it will find it bad as well
            }
            return null;
        }
    }

    /**
     * Stores a result. {@code asked}: the classes whose hierarchy the compiler asked about (the class itself is
     * left out); if any cannot be read from a class file, nothing is stored.
     */
    void store(byte[] classBytes, boolean application, CheckpointCompiler.Result result, Collection<ClassDesc> asked,
               String selfInternalName, ClassLoader loader) {
        if (writeFailures.get() >= WRITE_FAILURES_MAX) {
            return;
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream(
                256 + classBytes.length + (result.bytes() == null ? 0 : result.bytes().length));
        try (DataOutputStream out = new DataOutputStream(buf)) {
            out.writeLong(MAGIC);
            out.writeUTF(fingerprint);
            out.writeBoolean(application);
            out.writeInt(classBytes.length);
            out.write(classBytes);
            out.writeUTF(result.policy());
            out.writeUTF(result.detail());
            List<String> names = new ArrayList<>();
            for (ClassDesc d : asked) {
                if (d.isClassOrInterface()) {
                    String n = internalName(d);
                    // java.* can only be the JDK's (no other loader may define it), whose build is in the fingerprint
                    if (!n.equals(selfInternalName) && !n.startsWith("java/") && !names.contains(n)) {
                        names.add(n);
                    }
                }
            }
            out.writeInt(names.size());
            String[] facts = new String[2 * names.size()];
            for (int i = 0; i < names.size(); i++) {
                String n = names.get(i);
                String h = hierarchyOf(n, loader);
                if (h.isEmpty()) {
                    return; // answered by loading the class, not from a class file: cannot be checked next time
                }
                out.writeUTF(n);
                out.writeUTF(h);
                facts[2 * i] = n;
                facts[2 * i + 1] = h;
            }
            remember(classBytes, application, result, facts);
            out.writeInt(result.bytes() == null ? -1 : result.bytes().length);
            if (result.bytes() != null) {
                out.write(result.bytes());
            }
        } catch (IOException | RuntimeException e) {
            return; // an answer too long for the format: not cached
        }
        CRC32 crc = new CRC32();
        byte[] body = buf.toByteArray();
        crc.update(body);
        byte[] data = java.util.Arrays.copyOf(body, body.length + 8);
        java.nio.ByteBuffer.wrap(data, body.length, 8).putLong(crc.getValue());
        Path file = fileOf(classBytes, application);
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(".tmp-" + ProcessHandle.current().pid() + "-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            Files.write(tmp, data);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.deleteIfExists(tmp);
                return;
            }
        } catch (IOException | SecurityException e) {
            writeFailures.incrementAndGet();
            return;
        }
        writtenBytes.addAndGet(data.length);
        if (sinceTrimBytes.addAndGet(data.length) >= sizeBytesMax / 8 || trimDue()) {
            trim();
        }
    }

    private boolean trimDue() {
        if (trimmedOnce.get()) {
            return false;
        }
        try {
            FileTime last = Files.getLastModifiedTime(dir.resolve(MARKER));
            return System.currentTimeMillis() - last.toMillis() >= TRIM_INTERVAL_MS;
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /** Deletes the least recently written entries until the folder is under three quarters of the bound. */
    void trim() {
        if (!trimming.compareAndSet(false, true)) {
            return;
        }
        try {
            sinceTrimBytes.set(0);
            trimmedOnce.set(true);
            Path marker = dir.resolve(MARKER);
            try {
                Files.write(marker, new byte[0]);
            } catch (IOException | SecurityException e) {
                return;
            }
            record Entry(Path file, long size, long modifiedMs) {}
            List<Entry> entries = new ArrayList<>();
            long total = 0;
            try (DirectoryStream<Path> buckets = Files.newDirectoryStream(dir, Files::isDirectory)) {
                for (Path bucket : buckets) {
                    try (DirectoryStream<Path> files = Files.newDirectoryStream(bucket)) {
                        for (Path f : files) {
                            try {
                                var attrs = Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class);
                                entries.add(new Entry(f, attrs.size(), attrs.lastModifiedTime().toMillis()));
                                total += attrs.size();
                            } catch (IOException vanished) {
                                // deleted meanwhile by another JVM
                            }
                        }
                    }
                }
            } catch (IOException | SecurityException e) {
                return;
            }
            if (total <= sizeBytesMax) {
                return;
            }
            entries.sort(java.util.Comparator.comparingLong(Entry::modifiedMs));
            long target = sizeBytesMax / 4 * 3;
            for (Entry e : entries) {
                if (total <= target) {
                    break;
                }
                try {
                    Files.deleteIfExists(e.file());
                } catch (IOException | SecurityException ignored) {
                    // another JVM deleted or holds it; counted as gone
                }
                total -= e.size();
            }
        } finally {
            trimming.set(false);
        }
    }

    // ---- the program's pack: the classes one class path loaded, in one file ----

    private static final long PACK_MAGIC = 0x5745_4654_5043_0002L; // "WEFTPC" and the format version
    /** A pack holds at most this share of the folder's bound. */
    static final int PACK_SHARE = 8;

    /**
     * One class as a pack holds it: the original bytes, the compiled bytes ({@code null}: none) and its text (policy,
     * detail and the hierarchy facts it depends on, name and answer, each ended by a NUL), decoded only when the
     * entry is used. Slices of the mapped pack, or of this run's arrays; read with absolute gets only, so any thread
     * may read them.
     */
    private record PackEntry(java.nio.ByteBuffer original, java.nio.ByteBuffer out, java.nio.ByteBuffer text) {
        long size() {
            return 32L + original.capacity() + (out == null ? 0 : out.capacity()) + text.capacity();
        }

        static byte[] bytes(java.nio.ByteBuffer b) {
            byte[] a = new byte[b.capacity()];
            b.get(0, a);
            return a;
        }
    }

    private Path packFile;        // null: no pack. Written once, before the transformer is installed
    private String packKey;       // the class path the pack is for
    private String packStamp;     // each class-path jar's size and time; null when a folder is on it
    private boolean packTrusted;  // the pack was written for this class path with these jars: no fact is re-read
    /** The pack read at start, by {@link #packKey(long, int, boolean)}; never changed after {@link #usePack}. */
    private Map<Long, PackEntry> packIndex = Map.of();
    /** What this run looked up or compiled, for the pack written at exit; any thread. */
    private final Map<Long, PackEntry> seen = new ConcurrentHashMap<>();
    private final AtomicLong seenBytes = new AtomicLong();
    /** Whether this run found a class the pack did not hold (the pack is written again at exit); any thread. */
    private volatile boolean packChanged;

    /**
     * Reads the pack of this class path ({@code classPath}, as {@code java.class.path} gives it), if any, and has it
     * written again at exit when this run loaded a class it did not hold. A pack replaces a file read and a CRC
     * check per class, the pre-scan of the classes without checks, and, when it was written for the same jars
     * (their size and time), the re-reading of the hierarchy facts, which costs a class-path resource lookup each.
     * Reading it costs one file read, one native CRC-32 and a few integer reads per class: it runs before the JIT
     * has compiled anything (Things that don't work: a {@code DataInputStream} with {@code readUTF} per string took
     * 55-95 ms for the 900 classes of a Jackson round trip, more than the per-class files it replaced).
     */
    void usePack(String classPath) {
        StringBuilder stamp = new StringBuilder();
        for (String entry : classPath.split(java.io.File.pathSeparator)) {
            java.io.File f = new java.io.File(entry);
            if (!f.isFile()) {
                stamp = null; // a folder (or nothing): its classes may change without a trace on it
                break;
            }
            stamp.append(entry).append(' ').append(f.length()).append(' ').append(f.lastModified()).append('\n');
        }
        packKey = classPath;
        packStamp = stamp == null ? null : stamp.toString();
        byte[] keyBytes = classPath.getBytes(StandardCharsets.UTF_8);
        String name = hex8(classPath.hashCode()) + hex8(crcOf(keyBytes, 0, keyBytes.length));
        packFile = dir.resolve("packs").resolve(name);
        java.nio.ByteBuffer in;
        // java.io, not java.nio: a program that does not use NIO's channels itself (Jackson's round trip does not)
        // would pay for their start (the native library, the dispatcher) only for this: 15-50 ms on a loaded machine,
        // mapped or read
        try (java.io.FileInputStream f = new java.io.FileInputStream(packFile.toString())) {
            in = java.nio.ByteBuffer.wrap(f.readAllBytes());
        } catch (IOException | RuntimeException missing) {
            return;
        }
        try {
            int length = in.capacity();
            CRC32 check = new CRC32();
            if (length >= 32) {
                check.update(in.slice(0, length - 8));
            }
            if (length < 32 || in.getLong() != PACK_MAGIC || check.getValue() != in.getLong(length - 8)) {
                throw new IOException("not a whole pack of this version");
            }
            int headerLength = in.getInt();
            String header = new String(PackEntry.bytes(in.slice(in.position(), headerLength)), StandardCharsets.UTF_8);
            in.position(in.position() + headerLength);
            // the fingerprint and the class path (another with the same hash: a miss), then the stamp
            int cut = header.indexOf('\0');
            int cut2 = header.indexOf('\0', cut + 1);
            if (cut < 0 || cut2 < 0 || !header.substring(0, cut).equals(fingerprint)
                    || !header.substring(cut + 1, cut2).equals(classPath)) {
                return; // written again at exit
            }
            packTrusted = packStamp != null && header.substring(cut2 + 1).equals(packStamp);
            int count = in.getInt();
            Map<Long, PackEntry> index = new java.util.HashMap<>(count * 2);
            for (int k = 0; k < count; k++) {
                long key = in.getLong();
                int originalLength = in.getInt();
                int outLength = in.getInt();
                int textLength = in.getInt();
                int at = in.position();
                int outFrom = at + originalLength;
                int textFrom = outFrom + Math.max(outLength, 0);
                in.position(textFrom + textLength);
                index.put(key, new PackEntry(in.slice(at, originalLength),
                        outLength < 0 ? null : in.slice(outFrom, outLength), in.slice(textFrom, textLength)));
            }
            packIndex = index;
        } catch (IOException | RuntimeException bad) {
            packIndex = Map.of();
            packTrusted = false;
        }
    }

    private static long crcOf(byte[] b, int from, int length) {
        CRC32 crc = new CRC32();
        crc.update(b, from, length);
        return crc.getValue();
    }

    private static long packKey(long crc, int length, boolean application) {
        return crc << 32 | (long) length << 1 | (application ? 1 : 0);
    }

    /**
     * The pack's result for this class, or {@code null}. The bytes are compared exactly; the hierarchy facts are
     * read again unless the pack was written for these very jars and the class's loader sees only them and the JDK.
     */
    CheckpointCompiler.Result packLookup(byte[] classBytes, boolean application, ClassLoader loader) {
        if (packIndex.isEmpty()) {
            return null;
        }
        long key = packKey(crcOf(classBytes, 0, classBytes.length), classBytes.length, application);
        PackEntry e = packIndex.get(key);
        if (e == null || e.original.mismatch(java.nio.ByteBuffer.wrap(classBytes)) >= 0) {
            return null;
        }
        String[] text = new String(PackEntry.bytes(e.text), StandardCharsets.UTF_8).split("\0", -1);
        if (text.length < 3 || text.length % 2 == 0) {
            return null; // policy, detail, facts in pairs, and the empty string after the last NUL
        }
        if (!packTrusted || !(loader == null || loader == ClassLoader.getSystemClassLoader()
                || loader == ClassLoader.getPlatformClassLoader())) {
            for (int i = 2; i + 1 < text.length; i += 2) {
                if (!text[i + 1].equals(hierarchyOf(text[i], loader))) {
                    return null;
                }
            }
        }
        if (seen.putIfAbsent(key, e) == null) {
            seenBytes.addAndGet(e.size());
        }
        byte[] out = e.out == null ? null : PackEntry.bytes(e.out);
        return cached(new CheckpointCompiler.Result(out, text[0], text[1]));
    }

    /** Notes a result for the pack: one the per-class files gave, one just compiled, or a pre-scan's verdict. */
    void remember(byte[] classBytes, boolean application, CheckpointCompiler.Result result, String[] facts) {
        if (packFile == null || seenBytes.get() > sizeBytesMax / PACK_SHARE) {
            return;
        }
        StringBuilder t = new StringBuilder().append(result.policy()).append('\0').append(result.detail()).append('\0');
        for (String f : facts) {
            t.append(f).append('\0');
        }
        byte[] text = t.toString().getBytes(StandardCharsets.UTF_8);
        byte[] out = result.bytes();
        PackEntry e = new PackEntry(java.nio.ByteBuffer.wrap(classBytes), out == null ? null
                : java.nio.ByteBuffer.wrap(out), java.nio.ByteBuffer.wrap(text));
        if (seen.putIfAbsent(packKey(crcOf(classBytes, 0, classBytes.length), classBytes.length, application), e)
                == null) {
            seenBytes.addAndGet(e.size());
            packChanged = true;
        }
    }

    /**
     * Writes the pack again if this run loaded a class it did not hold, or found its jars changed: what this run
     * used, then, if the jars are the same, what the old pack held besides (another run of the same class path may
     * load other classes), up to the pack's bound. At exit.
     */
    void writePack() {
        if (packFile == null || !packChanged && (packTrusted || packStamp == null)) {
            return;
        }
        Map<Long, PackEntry> entries = new java.util.LinkedHashMap<>(seen);
        long bytes = seenBytes.get();
        // the old pack's other classes only if its jars are these: this run did not check them against new ones
        if (packTrusted || packStamp == null) {
            for (Map.Entry<Long, PackEntry> old : packIndex.entrySet()) {
                if (bytes > sizeBytesMax / PACK_SHARE) {
                    break;
                }
                if (entries.putIfAbsent(old.getKey(), old.getValue()) == null) {
                    bytes += old.getValue().size();
                }
            }
        }
        byte[] header = (fingerprint + '\0' + packKey + '\0' + (packStamp == null ? "" : packStamp))
                .getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream buf = new ByteArrayOutputStream((int) Math.min(bytes + header.length + 64,
                Integer.MAX_VALUE - 16));
        try (DataOutputStream out = new DataOutputStream(buf)) {
            out.writeLong(PACK_MAGIC);
            out.writeInt(header.length);
            out.write(header);
            out.writeInt(entries.size());
            for (Map.Entry<Long, PackEntry> me : entries.entrySet()) {
                PackEntry e = me.getValue();
                out.writeLong(me.getKey());
                out.writeInt(e.original.capacity());
                out.writeInt(e.out == null ? -1 : e.out.capacity());
                out.writeInt(e.text.capacity());
                out.write(PackEntry.bytes(e.original));
                if (e.out != null) {
                    out.write(PackEntry.bytes(e.out));
                }
                out.write(PackEntry.bytes(e.text));
            }
        } catch (IOException | RuntimeException e) {
            return; // too long for the format: no pack
        }
        byte[] body = buf.toByteArray();
        byte[] data = java.util.Arrays.copyOf(body, body.length + 8);
        java.nio.ByteBuffer.wrap(data, body.length, 8).putLong(crcOf(body, 0, body.length));
        try {
            Files.createDirectories(packFile.getParent());
            Path tmp = packFile.resolveSibling(".tmp-" + ProcessHandle.current().pid() + "-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            Files.write(tmp, data);
            try {
                Files.move(tmp, packFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | SecurityException e) {
            writeFailures.incrementAndGet();
        }
    }

    private static CheckpointCompiler.Result cached(CheckpointCompiler.Result r) {
        return r.bytes() == null ? r : new CheckpointCompiler.Result(r.bytes(), r.policy(), r.detail() + " (cached)");
    }

    /**
     * What the class file of {@code internalName}, as {@code loader} (then the system loader) finds it, says about
     * its place in the hierarchy: {@code "I"} for an interface, {@code "C"} and the superclass's name for a class,
     * {@code ""} when no class file is found. Read as the compiler's resolver reads it, with a bounded memo.
     */
    String hierarchyOf(String internalName, ClassLoader loader) {
        Map<String, String> m;
        if (loader == null) {
            m = bootMemo;
        } else {
            synchronized (memo) {
                m = memo.computeIfAbsent(loader, l -> new ConcurrentHashMap<>());
            }
        }
        String known = m.get(internalName);
        if (known != null) {
            return known;
        }
        String path = internalName + ".class";
        String answer = "";
        try (InputStream in = open(path, loader)) {
            if (in != null) {
                answer = ClassScan.hierarchy(in.readAllBytes());
            }
        } catch (IOException | RuntimeException unreadable) {
            answer = "";
        }
        if (memoSize.incrementAndGet() <= MEMO_MAX) {
            m.put(internalName, answer);
        }
        return answer;
    }

    private static InputStream open(String path, ClassLoader loader) {
        InputStream in = loader == null ? null : loader.getResourceAsStream(path);
        return in != null ? in : ClassLoader.getSystemResourceAsStream(path);
    }

    private static String internalName(ClassDesc d) {
        String s = d.descriptorString();
        return s.substring(1, s.length() - 1);
    }

    /** {@code DIR/xx/crc-length-a}: found by the CRC-32 of the bytes (two hex digits a bucket), checked exactly. */
    Path fileOf(byte[] classBytes, boolean application) {
        CRC32 crc = new CRC32();
        crc.update(classBytes);
        String hex = Long.toHexString(crc.getValue() | 1L << 32).substring(1); // eight digits; no String.format,
        return dir.resolve(hex.substring(0, 2)).resolve(hex.substring(2) + "-" + classBytes.length // slow uncompiled
                + (application ? "-a" : "-j"));
    }
}
