"""A simulated site meter or EMS: a real Modbus TCP server whose registers a scenario sets.

`ModbusDevice` serves holding and input registers alike (one shared block); `set_amps` writes
a current as the site file's scale reads it back. `stop()` takes the device off the network
(the meter "drops out"), `start()` brings it back on the same port.
"""

from __future__ import annotations

from typing import Any

from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import SimData, SimDevice
from pymodbus.simulator.simutils import DataType

REGISTERS = 64


class ModbusDevice:
    def __init__(self, unit: int = 1, host: str = "127.0.0.1", port: int = 0) -> None:
        self.unit = unit
        self.host = host
        self.port = port
        self.values: dict[int, int] = {}
        self.reads = 0
        self._server: ModbusTcpServer | None = None

    @property
    def url(self) -> str:
        return f"modbus://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def set_register(self, register: int, value: int) -> None:
        self.values[register] = value & 0xFFFF

    def set_amps(self, amps: float, register: int = 0, scale: float = 0.1) -> None:
        """Write `amps` so that register × scale reads back as it (one unsigned word)."""
        self.set_register(register, max(0, round(amps / scale)))

    async def _action(self, function_code: int, start_address: int, address: int, count: int,
                      current_registers: list[int], set_values: Any) -> None:
        self.reads += 1
        for offset in range(count):
            register = address + offset
            if register in self.values:
                current_registers[register - start_address] = self.values[register]

    async def start(self) -> str:
        """Listen (on a free port the first time, on the same one after a stop); the URL."""
        device = SimDevice(id=self.unit, action=self._action, simdata=[
            SimData(address=0, count=REGISTERS, values=0, datatype=DataType.REGISTERS)])
        server = ModbusTcpServer(device, address=(self.host, self.port))
        await server.serve_forever(background=True)
        listening: Any = server.transport  # an asyncio.Server once serving
        self.port = listening.sockets[0].getsockname()[1]
        self._server = server
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await server.shutdown()  # type: ignore[no-untyped-call]
