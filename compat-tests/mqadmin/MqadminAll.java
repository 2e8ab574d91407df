import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.Permission;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs every mqadmin subcommand in one JVM (compat-tests/mqadmin-all.test.ts), sturdier than
 * MqadminBatch.java for commands a user would stop by hand or that end the JVM:
 * - each command runs in its own thread group with a time limit; some never return by design
 *   (clusterRT loops until Ctrl-C, startMonitoring starts a service and leaves it running): at the
 *   limit the group is interrupted and the result says "timeout";
 * - System.exit (ServerUtil.parseCmdLine calls it on a bad option) is trapped by a SecurityManager
 *   (JDK 17 needs -Djava.security.manager=allow) and reported as "exit <code>";
 * - output is routed by thread group, so a thread a timed-out command left behind cannot write into
 *   the next command's output.
 * Each stdin line: "<id>\t<timeout seconds>\t<command>\t<arg>...". Output: "@@@ BEGIN <id>", what the
 * command printed, "@@@ END <id> <done|timeout|exit N>".
 */
public class MqadminAll {
    static final Map<ThreadGroup, ByteArrayOutputStream> BUFFERS = new ConcurrentHashMap<>();
    static final Map<ThreadGroup, Integer> EXITS = new ConcurrentHashMap<>();

    static ThreadGroup commandGroup() {
        for (ThreadGroup g = Thread.currentThread().getThreadGroup(); g != null; g = g.getParent()) {
            if (BUFFERS.containsKey(g)) return g;
        }
        return null;
    }

    /** Writes into the buffer of the command whose thread group the writing thread is in; elsewhere nowhere. */
    static final class Router extends OutputStream {
        @Override public void write(int b) {
            ThreadGroup g = commandGroup();
            ByteArrayOutputStream buf = g == null ? null : BUFFERS.get(g);
            if (buf != null) synchronized (buf) { buf.write(b); }
        }
        @Override public void write(byte[] b, int off, int len) {
            ThreadGroup g = commandGroup();
            ByteArrayOutputStream buf = g == null ? null : BUFFERS.get(g);
            if (buf != null) synchronized (buf) { buf.write(b, off, len); }
        }
    }

    @SuppressWarnings("removal")
    public static void main(String[] args) throws Exception {
        PrintStream real = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, "UTF-8");
        PrintStream routed = new PrintStream(new Router(), true, "UTF-8");
        System.setOut(routed);
        System.setErr(routed);
        System.setSecurityManager(new SecurityManager() {
            @Override public void checkPermission(Permission perm) { }
            @Override public void checkPermission(Permission perm, Object context) { }
            @Override public void checkExit(int status) {
                ThreadGroup g = commandGroup();
                if (g != null) {
                    EXITS.put(g, status);
                    throw new SecurityException("System.exit(" + status + ") trapped");
                }
            }
        });
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) continue;
            String[] parts = line.split("\t");
            String id = parts[0];
            long timeoutMs = Long.parseLong(parts[1]) * 1000L;
            String[] command = java.util.Arrays.copyOfRange(parts, 2, parts.length);
            ThreadGroup group = new ThreadGroup("mqadmin-" + id);
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            BUFFERS.put(group, buf);
            Thread t = new Thread(group, () -> {
                try {
                    freshCommands();
                    org.apache.rocketmq.tools.command.MQAdminStartup.main0(command, null);
                } catch (Throwable e) {
                    e.printStackTrace();
                }
            }, "mqadmin-" + id);
            t.setDaemon(true);
            t.start();
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (t.isAlive() && System.currentTimeMillis() < deadline) {
                if (closingAdminClient(t)) wakeEventExecutors(group);
                t.join(20);
            }
            String status = "done";
            if (t.isAlive()) {
                status = "timeout";
                group.interrupt();
                t.join(3000);
            }
            Integer exit = EXITS.remove(group);
            if (exit != null) status = "exit " + exit;
            BUFFERS.remove(group);
            String text;
            synchronized (buf) { text = buf.toString(StandardCharsets.UTF_8); }
            real.println("@@@ BEGIN " + id);
            real.print(text);
            if (!text.endsWith("\n")) real.println();
            real.println("@@@ END " + id + " " + status);
            real.flush();
        }
        real.flush();
        Runtime.getRuntime().halt(0);
    }

    /**
     * Whether the command is shutting its admin client down (the finally of execute, before a failure is
     * printed): 5.3.3's NettyRemotingClient#shutdown then joins its NettyEventExecutor, which notices the
     * stop only when its 3 s queue poll ends. wakeEventExecutors interrupts that poll (the loop catches the
     * exception and exits), so a command costs its work and not 3 s more.
     */
    static boolean closingAdminClient(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getMethodName().equals("shutdown") && e.getClassName().equals("org.apache.rocketmq.tools.admin.DefaultMQAdminExt")) return true;
        }
        return false;
    }

    static void wakeEventExecutors(ThreadGroup group) {
        Thread[] threads = new Thread[group.activeCount() + 16];
        int n = group.enumerate(threads, true);
        for (int i = 0; i < n; i++) {
            if ("NettyEventExecutor".equals(threads[i].getName())) threads[i].interrupt();
        }
    }

    /** As in MqadminBatch.java: main0 looks commands up first-match in a static list it appends to on every call. */
    private static void freshCommands() throws Exception {
        for (java.lang.reflect.Field f : org.apache.rocketmq.tools.command.MQAdminStartup.class.getDeclaredFields()) {
            if (java.lang.reflect.Modifier.isStatic(f.getModifiers()) && java.util.List.class.isAssignableFrom(f.getType())) {
                f.setAccessible(true);
                synchronized (MqadminAll.class) { ((java.util.List<?>) f.get(null)).clear(); }
            }
        }
    }
}
