"""The demo district's reference tables (大通湖区 2020), shipped as package data for `zhuanbao demo`."""
