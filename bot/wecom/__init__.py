"""WeCom (企业微信) transport: the AI bot long connection and the group robot webhook."""
