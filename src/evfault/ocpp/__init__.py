"""ocpp"""
