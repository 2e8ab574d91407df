/** The console's one HTML page: a shell the script fills; no inline script or style (see the CSP in http-routes.ts). */
export const INDEX_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rocketmq-ts console</title>
<link rel="stylesheet" href="app.css">
<script src="app.js" defer></script>
</head>
<body>
<header>
  <span class="brand">rocketmq-ts</span>
  <nav id="nav">
    <a href="#/cluster">Cluster</a>
    <a href="#/topics">Topics</a>
    <a href="#/groups">Consumer groups</a>
    <a href="#/messages">Messages</a>
    <a href="#/send">Send</a>
  </nav>
  <span id="status"></span>
</header>
<main id="main"><p>Loading…</p></main>
</body>
</html>
`;
