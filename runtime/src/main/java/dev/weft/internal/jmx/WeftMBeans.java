package dev.weft.internal.jmx;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Where Weft's MBeans are registered on the platform MBean server, on demand: with {@code -Dweft.jmx=true} as each
 * runtime starts (and memory's as it is first used), or when {@code weft jmx PID} asks a running program
 * ({@link #registerAll()}). Not by default: the platform MBean server costs about 150 ms of start-up the first time
 * anything touches it (measured on JDK 25 with a cold JVM), which a runtime that nobody watches should not pay.
 *
 * <p>Each part of Weft adds a {@link Source} (the runtimes, memory's root budget and the heap watchdog); a source
 * registers what exists now and, once enabled, registers what it creates later itself.
 *
 * <h2>Thread safety</h2>
 * Any thread; {@link #enabled} is written once (false to true) and read by any thread.
 */
public final class WeftMBeans {
    private WeftMBeans() {}

    /** The JMX domain of every Weft MBean. */
    public static final String DOMAIN = "dev.weft";

    /** Registers a part of Weft's MBeans: what exists now; returns their names. */
    @FunctionalInterface
    public interface Source {
        List<String> registerNow();
    }

    private static final List<Source> SOURCES = new CopyOnWriteArrayList<>();
    /** Whether MBeans are registered (as things are created). Any thread; only ever set. */
    private static volatile boolean enabled = Boolean.getBoolean("weft.jmx");

    /** Whether MBeans are to be registered as Weft's parts are created. */
    public static boolean enabled() {
        return enabled;
    }

    /** Adds {@code source}; registers its MBeans now if registration is enabled. */
    public static void addSource(Source source) {
        SOURCES.add(source);
        if (enabled) {
            source.registerNow();
        }
    }

    /** Enables registration and registers every source's MBeans now; returns the names registered. */
    public static List<String> registerAll() {
        enabled = true;
        List<String> names = new ArrayList<>();
        for (Source s : SOURCES) {
            names.addAll(s.registerNow());
        }
        return names;
    }

    /** {@code dev.weft:type=TYPE,name=NAME}, with the name quoted as JMX requires. */
    public static ObjectName name(String type, String name) {
        try {
            return new ObjectName(DOMAIN + ":type=" + type + ",name=" + ObjectName.quote(name));
        } catch (JMException e) {
            throw new IllegalArgumentException("cannot name the MBean " + type + " '" + name + "': " + e, e);
        }
    }

    /** Registers {@code mbean} under {@code name} unless something is registered there; returns the name. */
    public static String register(ObjectName name, Object mbean) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            server.registerMBean(mbean, name);
        } catch (InstanceAlreadyExistsException already) {
            // registered by an earlier request: keep it
        } catch (JMException e) {
            throw new IllegalStateException("cannot register the MBean " + name + ": " + e, e);
        }
        return name.toString();
    }

    /** Unregisters {@code name} if it is registered and registration was ever enabled. */
    public static void unregister(ObjectName name) {
        if (!enabled) {
            return;
        }
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(name);
        } catch (InstanceNotFoundException gone) {
            // never registered, or unregistered already
        } catch (JMException e) {
            throw new IllegalStateException("cannot unregister the MBean " + name + ": " + e, e);
        }
    }
}
