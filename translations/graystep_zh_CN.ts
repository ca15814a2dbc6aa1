<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>GrayStep::Core</name>
    <message>
        <source>the first line is blank; DolphinDB refuses configuration files whose first line is blank</source>
        <translation>第一行为空行；DolphinDB 不接受第一行为空的配置文件</translation>
    </message>
    <message>
        <source>expected key=value, found &apos;%1&apos;</source>
        <translation>应为 key=value，实际为“%1”</translation>
    </message>
    <message>
        <source>the setting name before &apos;=&apos; is missing</source>
        <translation>“=”前缺少配置项名称</translation>
    </message>
    <message>
        <source>the node alias before &apos;.&apos; in &apos;%1&apos; is missing</source>
        <translation>“%1”中“.”前缺少节点别名</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a node alias pattern (letters, digits, &apos;_&apos;, &apos;-&apos;, and the wildcards &apos;%&apos; and &apos;?&apos;)</source>
        <translation>“%1”不是节点别名模式（只能包含字母、数字、“_”、“-”以及通配符“%”和“?”）</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a setting name</source>
        <translation>“%1”不是配置项名称</translation>
    </message>
    <message>
        <source>&apos;%1&apos; has no value</source>
        <translation>“%1”没有值</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is set twice (first on line %2)</source>
        <translation>“%1”被设置了两次（第一次在第 %2 行）</translation>
    </message>
    <message>
        <source>&apos;%1&apos; must be a whole number, found &apos;%2&apos;</source>
        <translation>“%1”必须是整数，实际为“%2”</translation>
    </message>
    <message>
        <source>&apos;%1&apos; must be a number, found &apos;%2&apos;</source>
        <translation>“%1”必须是数字，实际为“%2”</translation>
    </message>
    <message>
        <source>mode=%1 is missing</source>
        <translation>缺少 mode=%1</translation>
    </message>
    <message>
        <source>mode is &apos;%1&apos;, but %2 must say mode=%3</source>
        <translation>mode 为“%1”，但 %2 必须为 mode=%3</translation>
    </message>
    <message>
        <source>%1 is missing</source>
        <translation>缺少 %1</translation>
    </message>
    <message>
        <source>sites entry &apos;%1&apos; must be host:port:alias:mode</source>
        <translation>sites 条目“%1”必须为 host:port:alias:mode</translation>
    </message>
    <message>
        <source>sites entry &apos;%1&apos; has unknown mode &apos;%2&apos;</source>
        <translation>sites 条目“%1”的模式“%2”未知</translation>
    </message>
    <message>
        <source>%1 %2 does not match any %3 in %4</source>
        <translation>%1 %2 与 %4 中的任何 %3 都不匹配</translation>
    </message>
    <message>
        <source>%1 %2 names &apos;%3&apos;, which %4 lists as %5 (line %6), not as %7</source>
        <translation>%1 %2 指向“%3”，但 %4 将其列为 %5（第 %6 行），而不是 %7</translation>
    </message>
    <message>
        <source>%1 %2 does not match %3, which lists %4 (line %5)</source>
        <translation>%1 %2 与 %3 不一致，其中列出的是 %4（第 %5 行）</translation>
    </message>
    <message>
        <source>dfsHAMode=Raft needs at least 3 controllers, but %1 lists %2</source>
        <translation>dfsHAMode=Raft 至少需要 3 个控制节点，但 %1 只列出了 %2 个</translation>
    </message>
    <message>
        <source>%1 lists %2 controllers, which needs dfsHAMode=Raft</source>
        <translation>%1 列出了 %2 个控制节点，这需要 dfsHAMode=Raft</translation>
    </message>
    <message>
        <source>dfsReplicationFactor=%1 with dfsReplicaReliabilityLevel=1 needs data nodes on %1 hosts, but only %2 hosts have data nodes</source>
        <translation>dfsReplicationFactor=%1 且 dfsReplicaReliabilityLevel=1 时需要 %1 台主机上有数据节点，但只有 %2 台主机有数据节点</translation>
    </message>
    <message>
        <source>sites is missing; with %1 controllers the agent needs all of them in sites to follow a change of leader</source>
        <translation>缺少 sites；有 %1 个控制节点时，代理节点需要在 sites 中列出全部控制节点才能跟随 leader 的变更</translation>
    </message>
    <message>
        <source>sites does not list controller &apos;%1&apos;; the agent cannot follow a change of leader to it</source>
        <translation>sites 未列出控制节点“%1”；leader 切换到该节点时代理节点无法跟随</translation>
    </message>
    <message>
        <source>&apos;%1.%2&apos; matches no data or compute node in %3</source>
        <translation>“%1.%2”与 %3 中的任何数据节点或计算节点都不匹配</translation>
    </message>
    <message>
        <source>malformed %1 &apos;%2&apos;: %3</source>
        <translation>%1“%2”格式错误：%3</translation>
    </message>
    <message>
        <source>expected host:port:alias</source>
        <translation>应为 host:port:alias</translation>
    </message>
    <message>
        <source>the host is empty</source>
        <translation>主机为空</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not an IP address or host name</source>
        <translation>“%1”不是 IP 地址或主机名</translation>
    </message>
    <message>
        <source>port &apos;%1&apos; is not a number</source>
        <translation>端口“%1”不是数字</translation>
    </message>
    <message>
        <source>port %1 is out of range (1-65535)</source>
        <translation>端口 %1 超出范围（1-65535）</translation>
    </message>
    <message>
        <source>the alias is empty</source>
        <translation>别名为空</translation>
    </message>
    <message>
        <source>alias &apos;%1&apos; may only contain letters, digits, &apos;_&apos; and &apos;-&apos;</source>
        <translation>别名“%1”只能包含字母、数字、“_”和“-”</translation>
    </message>
    <message>
        <source>dfsHAMode &apos;%1&apos; is not known (the only value is Raft)</source>
        <translation>未知的 dfsHAMode“%1”（唯一可用的值是 Raft）</translation>
    </message>
    <message>
        <source>&lt;ALIAS&gt; is only expanded in settings without a node alias; write the alias instead</source>
        <translation>&lt;ALIAS&gt; 只在不带节点别名的配置项中展开；请直接写出别名</translation>
    </message>
    <message>
        <source>the file is empty; it must start with the header &apos;localSite,mode&apos;</source>
        <translation>文件为空；必须以表头“localSite,mode”开始</translation>
    </message>
    <message>
        <source>the first line is blank; it must be the header &apos;localSite,mode&apos; (the server does not start otherwise)</source>
        <translation>第一行为空行；第一行必须是表头“localSite,mode”（否则服务器无法启动）</translation>
    </message>
    <message>
        <source>expected the header &apos;localSite,mode&apos; or &apos;localSite,mode,computeGroup&apos;, found &apos;%1&apos;</source>
        <translation>应为表头“localSite,mode”或“localSite,mode,computeGroup”，实际为“%1”</translation>
    </message>
    <message>
        <source>expected &apos;host:port:alias,mode&apos;, found &apos;%1&apos;</source>
        <translation>应为“host:port:alias,mode”，实际为“%1”</translation>
    </message>
    <message>
        <source>too many fields in &apos;%1&apos; (the header has %2 columns)</source>
        <translation>“%1”中的字段过多（表头只有 %2 列）</translation>
    </message>
    <message>
        <source>unknown mode &apos;%1&apos; (expected controller, agent, datanode or computenode)</source>
        <translation>未知模式“%1”（应为 controller、agent、datanode 或 computenode）</translation>
    </message>
    <message>
        <source>only compute nodes have a computeGroup, but &apos;%1&apos; is a %2</source>
        <translation>只有计算节点才有 computeGroup，但“%1”是 %2</translation>
    </message>
    <message>
        <source>duplicate alias &apos;%1&apos; (first on line %2)</source>
        <translation>别名“%1”重复（第一次出现在第 %2 行）</translation>
    </message>
    <message>
        <source>%1 is already used by &apos;%2&apos; (line %3)</source>
        <translation>%1 已被“%2”使用（第 %3 行）</translation>
    </message>
    <message>
        <source>no controller is listed</source>
        <translation>没有列出任何控制节点</translation>
    </message>
    <message>
        <source>host %1 already has agent &apos;%2&apos; (line %3); a host runs one agent</source>
        <translation>主机 %1 已有代理节点“%2”（第 %3 行）；每台主机只能运行一个代理节点</translation>
    </message>
    <message>
        <source>host %1 has data or compute nodes but no agent to start them</source>
        <translation>主机 %1 上有数据节点或计算节点，但没有代理节点来启动它们</translation>
    </message>
    <message>
        <source>cannot read %1: %2</source>
        <translation>无法读取 %1：%2</translation>
    </message>
    <message>
        <source>%1 is larger than 1 MiB; that is not a configuration file</source>
        <translation>%1 大于 1 MiB，不是配置文件</translation>
    </message>
    <message>
        <source>the folder %1 does not exist</source>
        <translation>文件夹 %1 不存在</translation>
    </message>
    <message>
        <source>no controller.cfg and cluster.nodes in %1 (also looked in config/ and clusterDemo/config/)</source>
        <translation>%1 中没有 controller.cfg 和 cluster.nodes（也查找了 config/ 和 clusterDemo/config/）</translation>
    </message>
    <message>
        <source>The version is empty.</source>
        <translation>版本为空。</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a DolphinDB version number (expected e.g. 2.00.8.12).</source>
        <translation>“%1”不是 DolphinDB 版本号（例如应为 2.00.8.12）。</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is not a release date (expected yyyy.MM.dd, e.g. 2023.01.10).</source>
        <translation>“%1”不是发布日期（应为 yyyy.MM.dd，例如 2023.01.10）。</translation>
    </message>
    <message>
        <source>The compatibility level is unknown: a version is missing.</source>
        <translation>兼容级别未知：缺少版本。</translation>
    </message>
    <message>
        <source>The compatibility level is unknown: %1 and %2 belong to different release series (%3 and %4), and the published table only covers upgrades within a series.</source>
        <translation>兼容级别未知：%1 和 %2 属于不同的版本系列（%3 和 %4），公布的兼容性表只涵盖同一系列内的升级。</translation>
    </message>
    <message>
        <source>The compatibility level is unknown: %1 is not newer than %2.</source>
        <translation>兼容级别未知：%1 并不比 %2 新。</translation>
    </message>
    <message>
        <source>The compatibility level is unknown: %1 and %2 are builds of the same release %3, and the published table has no level for those.</source>
        <translation>兼容级别未知：%1 和 %2 是同一版本 %3 的不同构建，公布的兼容性表没有给出它们的级别。</translation>
    </message>
    <message>
        <source>The compatibility level is unknown: release %1 is not in the published compatibility table. Ask the vendor for a risk assessment.</source>
        <translation>兼容级别未知：版本 %1 不在公布的兼容性表中。请向厂商申请风险评估。</translation>
    </message>
    <message>
        <source>%1 level %2</source>
        <translation>%1 级别 %2</translation>
    </message>
    <message>
        <source>Compatibility level %1 (%2): a rolling upgrade is supported.</source>
        <translation>兼容级别 %1（%2）：支持滚动（灰度）升级。</translation>
    </message>
    <message>
        <source>Compatibility level %1 (%2): a rolling upgrade is only promised at levels 4 and 5. Confirm a vendor risk assessment before upgrading this cluster host by host.</source>
        <translation>兼容级别 %1（%2）：只有级别 4 和 5 才保证支持滚动升级。逐台主机升级此集群之前，请先确认厂商的风险评估。</translation>
    </message>
</context>
<context>
    <name>GrayStep::Gui::MainWindow</name>
    <message>
        <source>Controller</source>
        <translation>控制节点</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>代理节点</translation>
    </message>
    <message>
        <source>Data node</source>
        <translation>数据节点</translation>
    </message>
    <message>
        <source>Compute node</source>
        <translation>计算节点</translation>
    </message>
    <message>
        <source>Open a folder with controller.cfg and cluster.nodes (File → Open cluster configuration…).</source>
        <translation>请打开包含 controller.cfg 和 cluster.nodes 的文件夹（文件 → 打开集群配置…）。</translation>
    </message>
    <message>
        <source>Reading %1…</source>
        <translation>正在读取 %1…</translation>
    </message>
    <message>
        <source>Open cluster configuration</source>
        <translation>打开集群配置</translation>
    </message>
    <message>
        <source>%1 — GrayStep</source>
        <translation>%1 — GrayStep</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>主机</translation>
    </message>
    <message>
        <source>Problems: none</source>
        <translation>问题：无</translation>
    </message>
    <message>
        <source>Problems: %1 errors, %2 warnings</source>
        <translation>问题：%1 个错误，%2 个警告</translation>
    </message>
    <message>
        <source>%1: %2 hosts, %3 nodes.</source>
        <translation>%1：%2 台主机，%3 个节点。</translation>
    </message>
    <message>
        <source>GrayStep</source>
        <translation>GrayStep</translation>
    </message>
    <message>
        <source>Problems: the configuration could not be read</source>
        <translation>问题：无法读取配置</translation>
    </message>
    <message>
        <source>Could not read the configuration: %1</source>
        <translation>无法读取配置：%1</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>警告</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>GrayStep</source>
        <translation>GrayStep</translation>
    </message>
    <message>
        <source>Topology: hosts and their nodes</source>
        <translation>拓扑：主机及其节点</translation>
    </message>
    <message>
        <source>Cluster topology</source>
        <translation>集群拓扑</translation>
    </message>
    <message>
        <source>Host / alias</source>
        <translation>主机 / 别名</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>Key settings</source>
        <translation>关键配置</translation>
    </message>
    <message>
        <source>Problems</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Problems in the configuration files</source>
        <translation>配置文件中的问题</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>严重程度</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>说明</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Open cluster configuration…</source>
        <translation>打开集群配置(&amp;O)…</translation>
    </message>
    <message>
        <source>Read controller.cfg, cluster.nodes, cluster.cfg and agent.cfg from a folder</source>
        <translation>从文件夹读取 controller.cfg、cluster.nodes、cluster.cfg 和 agent.cfg</translation>
    </message>
    <message>
        <source>Ctrl+O</source>
        <translation>Ctrl+O</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Ctrl+Q</source>
        <translation>Ctrl+Q</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <source>Grayscale (rolling) upgrades of DolphinDB HA clusters.</source>
        <translation>DolphinDB 高可用集群的灰度（滚动）升级。</translation>
    </message>
    <message>
        <source>Open the cluster configuration in &lt;dir&gt;.</source>
        <translation>打开 &lt;dir&gt; 中的集群配置。</translation>
    </message>
    <message>
        <source>dir</source>
        <translation>dir</translation>
    </message>
    <message>
        <source>Open the bundled example cluster (the tutorial&apos;s topology).</source>
        <translation>打开内置的示例集群（教程中的拓扑）。</translation>
    </message>
    <message>
        <source>Give either --config-dir or --sandbox, not both.</source>
        <translation>请只指定 --config-dir 或 --sandbox 中的一个。</translation>
    </message>
    <message>
        <source>Bundled example (tutorial cluster, not a live sandbox)</source>
        <translation>内置示例（教程集群，不是运行中的沙箱）</translation>
    </message>
</context>
</TS>
